// Address parsing and listening sockets. Addresses are goim's: ":3101" (all interfaces),
// "127.0.0.1:3101", "[::1]:3101"; port 0 picks a free port.
#pragma once

#include <string>
#include <vector>

#include "pkg/net/asio.h"

namespace goim::net {

// Throws std::invalid_argument naming the address when it does not parse.
tcp::endpoint ParseEndpoint(const std::string& addr);
std::string ToString(const tcp::endpoint& ep);

// An open, bound, listening acceptor on io. reuseport: SO_REUSEPORT, so each event loop can own
// an acceptor on the same port and the kernel spreads connections over them.
// Throws boost::system::system_error when the bind fails.
std::unique_ptr<tcp::acceptor> Listen(asio::io_context& io, const tcp::endpoint& ep,
                                      bool reuseport);

// One acceptor per io_context on the same address; a port 0 request is resolved by the first
// bind and reused by the others. A port another process already listens on is refused (throws),
// although the acceptors share it with SO_REUSEPORT.
std::vector<std::unique_ptr<tcp::acceptor>> ListenAll(const std::vector<asio::io_context*>& ios,
                                                      const std::string& addr);

}  // namespace goim::net
