// The memory store's own bounds (ttl on an injected clock, memory.maxBytes), and the config.
#include "pkg/history/memory_store.h"

#include <gtest/gtest.h>

#include "pkg/conf/conf.h"
#include "pkg/metrics/metrics.h"
#include "test/history/store_env.h"

namespace goim::history {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSource = "goim-push-topic";

double Metric(const std::string& name) { return metrics::Registry::Default().Get(name); }

struct FakeClock {
  MemoryStore::Clock::time_point now{std::chrono::hours(1000)};
  MemoryStore::NowFn Fn() {
    return [this] { return now; };
  }
};

TEST(MemoryStore, ExpiresTtlAfterTheLastAppendNotAfterReads) {
  FakeClock clock;
  Config cfg;
  cfg.ttl = 1h;
  MemoryStore s(cfg, clock.Fn());
  const double expired = Metric("goim_history_memory_expired_rooms_total");
  const std::string epoch = s.Append("live://1", kSource, {0, 1}, 1, "a").epoch;
  clock.now += 59min;
  s.Append("live://1", kSource, {0, 2}, 1, "b");  // refreshes the ttl
  clock.now += 59min;
  ReadReply kept = s.Last("live://1", 10);  // reads do not refresh it
  EXPECT_EQ(kept.epoch, epoch);
  EXPECT_EQ(kept.newest, 2);
  clock.now += 2min;
  ReadReply gone = s.Read("live://1", 2, epoch, 10);
  EXPECT_FALSE(gone.recovered);
  EXPECT_NE(gone.epoch, epoch);
  EXPECT_EQ(gone.newest, 0);
  EXPECT_EQ(Metric("goim_history_memory_expired_rooms_total") - expired, 1);
  EXPECT_EQ(s.rooms(), 1u);  // the read made the room anew
}

TEST(MemoryStore, EvictsWholeRoomsOverMaxBytesEmptyOnesFirst) {
  Config cfg;
  cfg.memory.maxBytes = 1 << 20;
  cfg.perRoom = 10;
  MemoryStore s(cfg);
  const double rooms_before = Metric("goim_history_memory_evicted_rooms_total");
  const double messages_before = Metric("goim_history_memory_evicted_messages_total");
  const std::string body(10 << 10, 'b');  // 10 messages of 10 KB: ~100 KB a room
  auto fill = [&](const std::string& room) {
    std::vector<Input> in;
    for (int i = 0; i < 10; ++i) in.push_back({{0, i}, 1, body});
    return s.AppendBatch(room, kSource, in).epoch;
  };
  for (int i = 0; i < 3; ++i) s.Last("live://empty" + std::to_string(i), 10);
  std::vector<std::string> epochs;
  for (int i = 0; i < 10; ++i) epochs.push_back(fill("live://" + std::to_string(i)));
  EXPECT_LE(s.bytes(), cfg.memory.maxBytes);
  // Room 0 is appended to again, so room 1 is now the least recently appended.
  s.Append("live://0", kSource, {0, 10}, 1, "again");
  fill("live://10");
  EXPECT_LE(s.bytes(), cfg.memory.maxBytes);
  const double evicted = Metric("goim_history_memory_evicted_rooms_total") - rooms_before;
  EXPECT_EQ(evicted, 4);  // the three empty rooms went first, then room 1
  EXPECT_EQ(Metric("goim_history_memory_evicted_messages_total") - messages_before,
            10 * (evicted - 3));
  EXPECT_EQ(s.Last("live://0", 1).epoch, epochs[0]);
  EXPECT_EQ(s.Last("live://0", 1).newest, 11);
  ReadReply one = s.Read("live://1", 10, epochs[1], 10);
  EXPECT_FALSE(one.recovered);
  EXPECT_NE(one.epoch, epochs[1]);
  EXPECT_EQ(s.Last("live://9", 1).epoch, epochs[9]);
}

TEST(MemoryStore, GaugesFollowTheStore) {
  metrics::Gauge* bytes = metrics::Registry::Default().NewGauge("goim_history_memory_bytes", "");
  metrics::Gauge* rooms = metrics::Registry::Default().NewGauge("goim_history_memory_rooms", "");
  const int64_t bytes_before = bytes->Value(), rooms_before = rooms->Value();
  {
    MemoryStore s{Config{}};
    Batch b(0, 0, 20);
    s.AppendBatch("live://1", kSource, b.in);
    s.Last("live://2", 1);
    EXPECT_EQ(bytes->Value() - bytes_before, s.bytes());
    EXPECT_GT(s.bytes(), 20 * 4);
    EXPECT_EQ(rooms->Value() - rooms_before, 2);
  }
  EXPECT_EQ(bytes->Value(), bytes_before);
  EXPECT_EQ(rooms->Value(), rooms_before);
}

struct Root {
  Config history;
  void Bind(conf::Binder& b) { b.Section("history", history); }
};

TEST(HistoryConfig, DefaultsBindAndValidate) {
  Config d;
  EXPECT_EQ(d.Validate(), "");
  EXPECT_EQ(d.perRoom, 100);
  EXPECT_EQ(d.maxRequest, 100);
  EXPECT_EQ(d.ttl, 24h);
  Root r;
  conf::LoadText(
      "history: {store: redis, perRoom: 50, ttl: 1h, redis: {addr: \"10.0.0.1:6380\", "
      "timeout: 250ms}}",
      {}, &r);
  EXPECT_EQ(r.history.store, "redis");
  EXPECT_EQ(r.history.perRoom, 50);
  EXPECT_EQ(r.history.ttl, 1h);
  EXPECT_EQ(r.history.redis.timeout, 250ms);
  EXPECT_EQ(r.history.Validate(), "");
  EXPECT_NE(conf::Dump(r).find("keyPrefix: \"goim:history:\""), std::string::npos);
  Root bad;
  EXPECT_THROW(conf::LoadText("history: {perRom: 5}", {}, &bad), conf::Error);
}

TEST(HistoryConfig, BadValuesNameTheirKey) {
  auto check = [](void (*set)(Config&), const std::string& key) {
    Config c;
    set(c);
    EXPECT_EQ(c.Validate().rfind("history." + key + ":", 0), 0u) << c.Validate();
    std::string error;
    EXPECT_EQ(Open(c, &error), nullptr);
    EXPECT_NE(error.find(key), std::string::npos);
  };
  check([](Config& c) { c.store = "disk"; }, "store");
  check([](Config& c) { c.perRoom = 0; }, "perRoom");
  check([](Config& c) { c.ttl = 0s; }, "ttl");
  check([](Config& c) { c.maxRequest = -1; }, "maxRequest");
  check([](Config& c) { c.maxRewind = -1; }, "maxRewind");
  check([](Config& c) { c.maxOffset = 255; }, "maxOffset");
  check([](Config& c) { c.maxOffset = int64_t{1} << 31; }, "maxOffset");
  check([](Config& c) { c.memory.maxBytes = 1000; }, "memory.maxBytes");
  check([](Config& c) { c.redis.addr = "localhost"; }, "redis.addr");
  check([](Config& c) { c.redis.addr = "h:99999"; }, "redis.addr");
  check([](Config& c) { c.redis.keyPrefix = "a{b}"; }, "redis.keyPrefix");
  check([](Config& c) { c.redis.pool = 0; }, "redis.pool");
  check([](Config& c) { c.redis.timeout = 0s; }, "redis.timeout");
  std::string host;
  int port = 0;
  EXPECT_TRUE(SplitAddr("127.0.0.1:6379", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 6379);
  EXPECT_FALSE(SplitAddr(":6379", &host, &port));
  EXPECT_FALSE(SplitAddr("h:", &host, &port));
  EXPECT_FALSE(SplitAddr("h:12x", &host, &port));
}

}  // namespace
}  // namespace goim::history
