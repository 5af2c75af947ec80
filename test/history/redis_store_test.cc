// The Redis store against a redis-server of each test's own (restarts, FLUSHALL, a paused or
// missing server), skipped with the reason when redis-server is not installed.
#include "pkg/history/redis_store.h"

#include <gtest/gtest.h>

#include "pkg/metrics/metrics.h"
#include "test/e2e/harness.h"
#include "test/history/store_env.h"

namespace goim::history {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kRoom = "live://1000";
constexpr std::string_view kSource = "goim-push-topic";

double Metric(const std::string& name) { return metrics::Registry::Default().Get(name); }

// Redis Cluster's hash tag rule: the text between the first '{' and the first '}' after it,
// when that text is not empty; otherwise the whole key.
std::string HashTag(const std::string& key) {
  size_t open = key.find('{');
  if (open == std::string::npos) return key;
  size_t close = key.find('}', open + 1);
  if (close == std::string::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (testing::RedisServer::Binary().empty())
      GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)";
    ASSERT_TRUE(server_.Start(&why)) << why;
    cfg_.store = "redis";
    cfg_.redis.addr = server_.addr();
    cfg_.redis.retryInterval = 0s;
  }
  std::unique_ptr<RedisStore> Make() {
    auto s = std::make_unique<RedisStore>(cfg_);
    EXPECT_EQ(s->Check(), "");
    return s;
  }
  std::string Fill(Store& s, int64_t from, int n) {
    Batch b(0, from, n);
    AppendReply r = s.AppendBatch(kRoom, kSource, b.in);
    EXPECT_EQ(r.error, "");
    return r.epoch;
  }

  testing::RedisServer server_;
  Config cfg_;
};

TEST_F(RedisStoreTest, RestartKeepsHistoryEpochAndPositions) {
  auto s = Make();
  const std::string epoch = Fill(*s, 0, 30);
  server_.Stop();  // SIGTERM: Redis writes the AOF out and exits
  std::string why;
  ASSERT_TRUE(server_.Start(&why)) << why;
  // The pooled connection died with the server: the call is tried again on a new one.
  ReadReply l = s->Last(kRoom, 10);
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.epoch, epoch);
  EXPECT_EQ(Offsets(l.messages), Range(21, 30));
  EXPECT_EQ(l.messages[0].body, Batch::Body(0, 20));
  // The queue positions survived too: a re-consume after the restart is still recognised.
  Batch again(0, 25, 10);
  AppendReply r = s->AppendBatch(kRoom, kSource, again.in);
  EXPECT_EQ(r.epoch, epoch);
  EXPECT_EQ(Offsets(r.items), Range(26, 35));
  EXPECT_EQ(r.items[4].status, AppendStatus::kDuplicate);
  EXPECT_EQ(r.items[5].status, AppendStatus::kAppended);
}

TEST_F(RedisStoreTest, FlushallOrALostStreamStartsANewEpoch) {
  auto s = Make();
  const std::string epoch = Fill(*s, 0, 10);
  const double started = Metric("goim_history_epochs_total{reason=\"new\"}");
  EXPECT_EQ(server_.Command({"FLUSHALL"}), "OK");
  ReadReply r = s->Read(kRoom, 10, epoch, 10);
  EXPECT_FALSE(r.recovered);
  EXPECT_NE(r.epoch, epoch);
  EXPECT_EQ(r.newest, 0);
  AppendReply a = s->Append(kRoom, kSource, {0, 10}, 1000, "after");
  EXPECT_EQ(a.epoch, r.epoch);
  EXPECT_EQ(a.items[0].offset, 1);
  // Only the stream gone (an eviction by maxmemory, a DEL): the meta alone cannot vouch for
  // the history, so the epoch ends too.
  int64_t q = 20;
  for (bool read_first : {true, false}) {
    AppendReply before = s->Append(kRoom, kSource, {0, q++}, 1000, "x");
    EXPECT_EQ(before.items[0].status, AppendStatus::kAppended);
    EXPECT_EQ(server_.Command({"DEL", s->StreamKey(kRoom)}), "1");
    std::string reader_epoch;
    if (read_first) {
      ReadReply lost = s->Read(kRoom, before.items[0].offset, before.epoch, 10);
      EXPECT_FALSE(lost.recovered);
      EXPECT_NE(lost.epoch, before.epoch);
      EXPECT_EQ(lost.newest, 0);
      reader_epoch = lost.epoch;
    }
    AppendReply b = s->Append(kRoom, kSource, {0, q++}, 1000, "lost");
    EXPECT_EQ(b.new_epoch, !read_first);
    EXPECT_NE(b.epoch, before.epoch);
    if (read_first) {
      EXPECT_EQ(b.epoch, reader_epoch);
    }
    EXPECT_EQ(b.items[0].offset, 1);
  }
  EXPECT_EQ(Metric("goim_history_epochs_total{reason=\"new\"}") - started, 3);
}

TEST_F(RedisStoreTest, ScriptsAreLoadedAgainAfterScriptFlush) {
  auto s = Make();
  Fill(*s, 0, 5);
  const double loads = Metric("goim_history_redis_script_loads_total");
  EXPECT_EQ(server_.Command({"SCRIPT", "FLUSH"}), "OK");
  AppendReply r = s->Append(kRoom, kSource, {0, 5}, 1000, "x");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.items[0].offset, 6);
  EXPECT_EQ(s->Last(kRoom, 10).newest, 6);
  ReadReply fresh = s->Last("live://new", 10);  // makes its epoch with the other script
  EXPECT_EQ(fresh.error, "");
  EXPECT_EQ(fresh.epoch.size(), 8u);
  EXPECT_EQ(Metric("goim_history_redis_script_loads_total") - loads, 2);
}

TEST_F(RedisStoreTest, UnreachableAtStartupIsAClearError) {
  Config c = cfg_;
  c.redis.addr = "127.0.0.1:" + std::to_string(e2e::FreePort());  // nothing listens there
  std::string error;
  EXPECT_EQ(Open(c, &error), nullptr);
  EXPECT_NE(error.find(c.redis.addr), std::string::npos) << error;
  EXPECT_NE(error.find("connect"), std::string::npos) << error;
}

TEST_F(RedisStoreTest, ErrorsWhileDownAreReturnedAndCountedThenItRecovers) {
  auto s = Make();
  Fill(*s, 0, 3);
  const double errors = Metric("goim_history_store_errors_total{op=\"append\"}");
  const double read_errors = Metric("goim_history_store_errors_total{op=\"read\"}");
  server_.Stop(SIGKILL);
  AppendReply a = s->Append(kRoom, kSource, {0, 3}, 1000, "x");
  EXPECT_NE(a.error, "");
  EXPECT_TRUE(a.items.empty());
  ReadReply r = s->Last(kRoom, 10);
  EXPECT_NE(r.error, "");
  EXPECT_FALSE(r.recovered);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(Metric("goim_history_store_errors_total{op=\"append\"}") - errors, 1);
  EXPECT_EQ(Metric("goim_history_store_errors_total{op=\"read\"}") - read_errors, 1);
  std::string why;
  ASSERT_TRUE(server_.Start(&why)) << why;
  AppendReply b = s->Append(kRoom, kSource, {0, 3}, 1000, "x");
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.items[0].offset, 4);
}

TEST_F(RedisStoreTest, NoReplyWithinTheTimeoutIsAnErrorAndTheRetryIsIdempotent) {
  cfg_.redis.timeout = 200ms;
  auto s = Make();
  Fill(*s, 0, 3);
  server_.Pause();  // accepts bytes, answers nothing
  AppendReply a = s->Append(kRoom, kSource, {0, 3}, 1000, "x");
  EXPECT_NE(a.error.find("redis.timeout"), std::string::npos) << a.error;
  server_.Resume();
  // The timed-out call may still have run once Redis woke up; job's retry of the same
  // position gets the same offset either way, and the message is stored once.
  AppendReply b = s->Append(kRoom, kSource, {0, 3}, 1000, "x");
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.items[0].offset, 4);
  EXPECT_EQ(Offsets(s->Last(kRoom, 10).messages), Range(1, 4));
}

TEST_F(RedisStoreTest, ARoomsKeysShareOneHashTagAndExpire) {
  cfg_.ttl = 1h;
  auto s = Make();
  Fill(*s, 0, 3);
  for (const std::string& k : {s->MetaKey(kRoom), s->StreamKey(kRoom)}) {
    const int64_t pttl = std::stoll(server_.Command({"PTTL", k}));
    EXPECT_GT(pttl, 0) << k;
    EXPECT_LE(pttl, 3600 * 1000) << k;
  }
  EXPECT_EQ(server_.Command({"XLEN", s->StreamKey(kRoom)}), "3");
  for (const char* room : {"live://1000", "a{b}c", "}x", "{", "{}", "x}{"}) {
    const std::string meta = s->MetaKey(room), stream = s->StreamKey(room);
    EXPECT_EQ(HashTag(meta), HashTag(stream)) << room;
    EXPECT_NE(HashTag(meta), meta) << room;  // a real tag, not the whole key
  }
}

TEST_F(RedisStoreTest, AnotherInstanceRecognisesReconsumedMessages) {
  // job restarted as a new process: a new store on the same Redis.
  auto before = Make();
  Fill(*before, 0, 20);
  before.reset();
  auto after = Make();
  Batch again(0, 10, 20);
  AppendReply r = after->AppendBatch(kRoom, kSource, again.in);
  EXPECT_EQ(Offsets(r.items), Range(11, 30));
  EXPECT_EQ(r.items[9].status, AppendStatus::kDuplicate);
  EXPECT_EQ(r.items[10].status, AppendStatus::kAppended);
}

TEST_F(RedisStoreTest, OffsetsStayWithinTheFramesInt32Seq) {
  auto s = Make();
  const std::string epoch = Fill(*s, 0, 3);
  // As if the room had been busy for weeks: its next offset is the largest an int32 seq holds.
  EXPECT_EQ(server_.Command({"HSET", s->MetaKey(kRoom), "next", "2147483647"}), "0");
  AppendReply last = s->Append(kRoom, kSource, {0, 3}, 1000, "last");
  EXPECT_EQ(last.epoch, epoch);
  EXPECT_EQ(last.items[0].offset, 2147483647);
  EXPECT_EQ(s->Last(kRoom, 1).messages[0].offset, 2147483647);
  AppendReply next = s->Append(kRoom, kSource, {0, 4}, 1000, "next");
  EXPECT_TRUE(next.new_epoch);
  EXPECT_NE(next.epoch, epoch);
  EXPECT_EQ(next.items[0].offset, 1);
}

TEST_F(RedisStoreTest, TheStreamIsTrimmedToPerRoom) {
  cfg_.perRoom = 7;
  auto s = Make();
  Fill(*s, 0, 20);
  EXPECT_EQ(server_.Command({"XLEN", s->StreamKey(kRoom)}), "7");
  ReadReply l = s->Last(kRoom, 100);
  EXPECT_EQ(l.first_retained, 14);
  EXPECT_EQ(Offsets(l.messages), Range(14, 20));
}

}  // namespace
}  // namespace goim::history
