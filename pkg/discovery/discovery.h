// discovery: where the comets are, as listed in the config (static: no registry is watched).
// An instance is goim's discovery record for a comet: its server id (hostname), region, zone,
// gRPC address, public addresses for clients, weight and offline flag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pkg/conf/conf.h"

namespace goim::discovery {

struct Instance {
  std::string hostname;  // the comet's server id (its env.host)
  std::string region;
  std::string zone;
  std::string grpc;                // comet gRPC address, e.g. 127.0.0.1:3109
  std::vector<std::string> addrs;  // public addresses handed to clients
  int32_t weight = 10;
  bool offline = false;

  void Bind(conf::Binder& b) {
    b.Field("hostname", hostname);
    b.Field("region", region);
    b.Field("zone", zone);
    b.Field("grpc", grpc);
    b.Field("addrs", addrs);
    b.Field("weight", weight);
    b.Field("offline", offline);
  }
};

// The comets job talks to, as goim's job keeps them: those of `zone` and those listed without a
// zone; every comet when `zone` is empty.
std::vector<Instance> InZone(const std::vector<Instance>& all, const std::string& zone);

// Checks hostnames are present and unique and weights positive; returns an error naming the
// entry, or "".
std::string Validate(const std::vector<Instance>& all, const std::string& key);

}  // namespace goim::discovery
