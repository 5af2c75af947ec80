// The stores under test. The contract suite is typed over these, so each behaviour runs against
// the memory store and against a real redis-server (started once per suite on a free port;
// the Redis cases are skipped, saying why, when redis-server is not installed).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pkg/history/store.h"
#include "test/support/redis_server.h"

namespace goim::history {

struct MemoryEnv {
  static void SetUpSuite() {}
  static void TearDownSuite() {}
  static std::string Unavailable() { return ""; }
  static std::unique_ptr<Store> Make(Config cfg) {
    cfg.store = "memory";
    std::string error;
    auto s = Open(cfg, &error);
    EXPECT_TRUE(s) << error;
    return s;
  }
};

struct RedisEnv {
  static inline std::unique_ptr<testing::RedisServer> server;
  static inline std::string why;
  static inline int tests = 0;

  static void SetUpSuite() {
    if (testing::RedisServer::Binary().empty()) {
      why = "redis-server is not installed (scripts/setup.sh installs it)";
      return;
    }
    server = std::make_unique<testing::RedisServer>();
    if (!server->Start(&why)) server.reset();
  }
  static void TearDownSuite() { server.reset(); }
  static std::string Unavailable() { return server ? "" : why; }
  // Each store gets keys of its own, so tests sharing the server never see each other's rooms.
  static std::unique_ptr<Store> Make(Config cfg) {
    cfg.store = "redis";
    cfg.redis.addr = server->addr();
    cfg.redis.keyPrefix = "test" + std::to_string(++tests) + ":";
    cfg.redis.retryInterval = std::chrono::seconds(0);
    std::string error;
    auto s = Open(cfg, &error);
    EXPECT_TRUE(s) << error;
    return s;
  }
};

// Messages at consecutive queue offsets of one partition, with bodies that name their position.
struct Batch {
  std::vector<std::string> bodies;
  std::vector<Input> in;
  Batch(int32_t partition, int64_t from, int n, int32_t op = 1000) {
    bodies.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) bodies.push_back(Body(partition, from + i));
    for (int i = 0; i < n; ++i) in.push_back({{partition, from + i}, op, bodies[i]});
  }
  static std::string Body(int32_t partition, int64_t offset) {
    return "p" + std::to_string(partition) + "q" + std::to_string(offset);
  }
};

inline std::vector<int64_t> Offsets(const std::vector<Message>& ms) {
  std::vector<int64_t> out;
  for (const auto& m : ms) out.push_back(m.offset);
  return out;
}

inline std::vector<int64_t> Offsets(const std::vector<Appended>& as) {
  std::vector<int64_t> out;
  for (const auto& a : as) out.push_back(a.offset);
  return out;
}

inline std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

}  // namespace goim::history
