// The `env` section every service shares: goim's deployment identity (flags -region -zone
// -deploy.env -host -weight -addrs -offline -debug and the same-named environment variables).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pkg/conf/conf.h"

namespace goim::conf {

struct Env {
  std::string region;
  std::string zone;
  std::string deployEnv;
  std::string host;  // server id; empty means the machine's host name
  int32_t weight = 10;
  std::vector<std::string> addrs;  // public addresses handed to clients
  bool offline = false;
  bool debug = false;

  void Bind(Binder& b) {
    b.Field("region", region);
    b.Field("zone", zone);
    b.Field("deployEnv", deployEnv);
    b.Field("host", host);
    b.Field("weight", weight);
    b.Field("addrs", addrs);
    b.Field("offline", offline);
    b.Field("debug", debug);
  }
  // Fills the host name when none was configured.
  void Resolve();
};

}  // namespace goim::conf
