// comet::Context: what every loop and channel of one comet shares: the configuration (read
// only after start), the clock, the key index, the room index, the logic client and the loops.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "comet/bucket.h"
#include "comet/config.h"
#include "comet/logic_client.h"
#include "comet/room.h"
#include "pkg/time/clock.h"

namespace goim::comet {

class Loop;

struct Context {
  explicit Context(const Config& c)
      : cfg(c),
        buckets(c.bucket.size, c.bucket.channel / (c.bucket.size > 0 ? c.bucket.size : 1)) {}
  Config cfg;
  time::Clock* clock = &time::SystemClock();  // a FakeClock in tests
  std::string server_id;                      // env.host: the name logic and job know this comet by
  Buckets buckets;
  RoomIndex rooms;
  std::unique_ptr<LogicClient> logic;
  std::vector<Loop*> loops;
  // False while this comet's membership registration has lapsed (comet/membership.cc): the
  // cluster no longer routes to it, so new connections are refused at accept.
  std::atomic<bool> admitting{true};
};

}  // namespace goim::comet
