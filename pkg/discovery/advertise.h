// The address other nodes dial for a server this node listens on: the listen address's host
// when it names one, else (":3109", "0.0.0.0:3109") the first non-loopback IPv4 address of the
// machine, as goim registers its gRPC address; the port is the one actually bound.
#pragma once

#include <string>

namespace goim::discovery {

std::string AdvertiseAddr(const std::string& listen_addr, int bound_port);

}  // namespace goim::discovery
