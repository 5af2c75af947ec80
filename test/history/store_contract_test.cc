// The history contract (pkg/history/store.h), run against both stores.
#include <atomic>
#include <climits>
#include <thread>

#include "pkg/metrics/metrics.h"
#include "test/history/store_env.h"

namespace goim::history {
namespace {

constexpr std::string_view kRoom = "live://1000";
constexpr std::string_view kSource = "goim-push-topic";

double Metric(const std::string& name) { return metrics::Registry::Default().Get(name); }

template <class Env>
class StoreContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Env::SetUpSuite(); }
  static void TearDownTestSuite() { Env::TearDownSuite(); }
  void SetUp() override {
    if (std::string why = Env::Unavailable(); !why.empty()) GTEST_SKIP() << why;
  }
  std::unique_ptr<Store> Make(int32_t per_room = 100, int32_t max_request = 100,
                              int64_t max_rewind = 1000000, int64_t max_offset = INT32_MAX) {
    Config c;
    c.perRoom = per_room;
    c.maxRequest = max_request;
    c.maxRewind = max_rewind;
    c.maxOffset = max_offset;
    return Env::Make(c);
  }
  // Appends n messages (queue offsets 0..n-1 of partition 0) and returns the epoch.
  std::string Fill(Store& s, int n, std::string_view room = kRoom) {
    std::string epoch;
    for (int from = 0; from < n; from += 20) {
      Batch b(0, from, std::min(20, n - from));
      AppendReply r = s.AppendBatch(room, kSource, b.in);
      EXPECT_EQ(r.error, "");
      epoch = r.epoch;
    }
    return epoch;
  }
};

struct StoreNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryEnv> ? "memory" : "redis";
  }
};
using Stores = ::testing::Types<MemoryEnv, RedisEnv>;
TYPED_TEST_SUITE(StoreContract, Stores, StoreNames);

TYPED_TEST(StoreContract, OffsetsAreContiguousFromOne) {
  auto s = this->Make();
  AppendReply a = s->Append(kRoom, kSource, {0, 7}, 1000, "first");
  ASSERT_EQ(a.error, "");
  EXPECT_TRUE(a.new_epoch);
  EXPECT_EQ(a.epoch.size(), 8u);
  ASSERT_EQ(a.items.size(), 1u);
  EXPECT_EQ(a.items[0].status, AppendStatus::kAppended);
  EXPECT_EQ(a.items[0].offset, 1);
  Batch b(0, 8, 20);
  AppendReply r = s->AppendBatch(kRoom, kSource, b.in);
  EXPECT_FALSE(r.new_epoch);
  EXPECT_EQ(r.epoch, a.epoch);
  EXPECT_EQ(Offsets(r.items), Range(2, 21));
  Batch c(0, 28, 5);
  EXPECT_EQ(Offsets(s->AppendBatch(kRoom, kSource, c.in).items), Range(22, 26));
  AppendReply other = s->Append("live://2000", kSource, {0, 40}, 1000, "x");
  EXPECT_EQ(other.items[0].offset, 1);
  EXPECT_NE(other.epoch, a.epoch);

  ReadReply l = s->Last(kRoom, 100);
  EXPECT_EQ(Offsets(l.messages), Range(1, 26));
  EXPECT_EQ(l.messages[0].body, "first");
  EXPECT_EQ(l.messages[1].body, Batch::Body(0, 8));
  EXPECT_EQ(l.messages[25].body, Batch::Body(0, 32));
  EXPECT_EQ(l.messages[25].op, 1000);
}

TYPED_TEST(StoreContract, ReconsumedAfterJobCrashKeepsFirstOffsets) {
  auto s = this->Make();
  Batch first(3, 100, 20);
  EXPECT_EQ(Offsets(s->AppendBatch(kRoom, kSource, first.in).items), Range(1, 20));
  const double dups = Metric("goim_history_appends_total{result=\"duplicate\"}");
  // job died after appending 100..119 and committed only up to 110: the queue hands 110.. again.
  Batch again(3, 110, 20);
  AppendReply r = s->AppendBatch(kRoom, kSource, again.in);
  ASSERT_EQ(r.items.size(), 20u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(r.items[i].status, AppendStatus::kDuplicate) << i;
    EXPECT_EQ(r.items[i].offset, 11 + i);
  }
  for (int i = 10; i < 20; ++i) {
    EXPECT_EQ(r.items[i].status, AppendStatus::kAppended) << i;
    EXPECT_EQ(r.items[i].offset, 11 + i);
  }
  EXPECT_EQ(Metric("goim_history_appends_total{result=\"duplicate\"}") - dups, 10);
  // The same again, one message at a time: nothing new.
  for (int64_t q = 100; q < 130; ++q) {
    AppendReply one = s->Append(kRoom, kSource, {3, q}, 1000, Batch::Body(3, q));
    EXPECT_EQ(one.items[0].status, AppendStatus::kDuplicate);
    EXPECT_EQ(one.items[0].offset, q - 99);
  }
  ReadReply l = s->Last(kRoom, 100);
  EXPECT_EQ(Offsets(l.messages), Range(1, 30));  // each once
  for (const Message& m : l.messages) EXPECT_EQ(m.body, Batch::Body(3, 99 + m.offset));
}

TYPED_TEST(StoreContract, LastGivesTheNewestInOrder) {
  auto s = this->Make();
  const std::string epoch = this->Fill(*s, 30);
  ReadReply l = s->Last(kRoom, 10);
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.epoch, epoch);
  EXPECT_TRUE(l.recovered);
  EXPECT_EQ(l.newest, 30);
  EXPECT_EQ(l.first_retained, 1);
  EXPECT_EQ(Offsets(l.messages), Range(21, 30));
  for (const Message& m : l.messages) EXPECT_EQ(m.body, Batch::Body(0, m.offset - 1));
  EXPECT_EQ(Offsets(s->Last(kRoom, 1).messages), Range(30, 30));
  ReadReply all = s->Last(kRoom, 50);  // more than there are: all of them, recovered
  EXPECT_TRUE(all.recovered);
  EXPECT_EQ(Offsets(all.messages), Range(1, 30));
}

TYPED_TEST(StoreContract, ReadAfterGivesExactlyTheLaterOnes) {
  auto s = this->Make();
  const std::string epoch = this->Fill(*s, 30);
  ReadReply r = s->Read(kRoom, 25, epoch, 100);
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(r.newest, 30);
  EXPECT_EQ(Offsets(r.messages), Range(26, 30));
  EXPECT_EQ(r.messages[0].body, Batch::Body(0, 25));
  EXPECT_EQ(Offsets(s->Read(kRoom, 0, epoch, 100).messages), Range(1, 30));
  ReadReply none = s->Read(kRoom, 30, epoch, 100);
  EXPECT_TRUE(none.recovered);
  EXPECT_TRUE(none.messages.empty());
  ReadReply one = s->Read(kRoom, 29, epoch, 1);
  EXPECT_TRUE(one.recovered);
  EXPECT_EQ(Offsets(one.messages), Range(30, 30));
}

TYPED_TEST(StoreContract, AnotherEpochGivesTheNewestAndRecoveredFalse) {
  auto s = this->Make();
  const std::string epoch = this->Fill(*s, 30);
  const double unrecovered = Metric("goim_history_reads_total{recovered=\"false\"}");
  for (std::string_view asked : {std::string_view("zzzzzzzz"), std::string_view("")}) {
    ReadReply r = s->Read(kRoom, 5, asked, 10);
    EXPECT_EQ(r.error, "");
    EXPECT_FALSE(r.recovered);
    EXPECT_EQ(r.epoch, epoch);
    EXPECT_EQ(r.newest, 30);
    EXPECT_EQ(Offsets(r.messages), Range(21, 30));
  }
  EXPECT_EQ(Metric("goim_history_reads_total{recovered=\"false\"}") - unrecovered, 2);
}

TYPED_TEST(StoreContract, OffsetOutOfRetentionIsNotRecovered) {
  auto s = this->Make(/*per_room=*/10);
  const std::string epoch = this->Fill(*s, 30);
  ReadReply gone = s->Read(kRoom, 5, epoch, 100);
  EXPECT_FALSE(gone.recovered);
  EXPECT_EQ(gone.first_retained, 21);
  EXPECT_EQ(Offsets(gone.messages), Range(21, 30));
  EXPECT_FALSE(s->Read(kRoom, 19, epoch, 100).recovered);  // 20 is gone
  ReadReply edge = s->Read(kRoom, 20, epoch, 100);
  EXPECT_TRUE(edge.recovered);
  EXPECT_EQ(Offsets(edge.messages), Range(21, 30));
}

TYPED_TEST(StoreContract, OffsetBeyondNewestIsPositionedAtNewest) {
  auto s = this->Make();
  const std::string epoch = this->Fill(*s, 30);
  for (int64_t after : {int64_t{31}, int64_t{1000}, INT64_MAX}) {
    ReadReply r = s->Read(kRoom, after, epoch, 5);
    EXPECT_FALSE(r.recovered) << after;
    EXPECT_EQ(r.newest, 30);
    EXPECT_EQ(Offsets(r.messages), Range(26, 30));
  }
}

TYPED_TEST(StoreContract, LimitsAreClamped) {
  auto s = this->Make(100, /*max_request=*/5);
  const std::string epoch = this->Fill(*s, 30);
  struct Case {
    bool last;
    int64_t after;
    int64_t n;
    std::vector<int64_t> offsets;
    bool recovered;
  };
  const std::vector<Case> cases{
      {true, 0, 100, Range(26, 30), false},
      {true, 0, 5, Range(26, 30), true},
      {true, 0, 0, {}, true},
      {true, 0, -3, {}, true},
      {true, 0, INT64_MAX, Range(26, 30), false},
      {true, 0, INT64_MIN, {}, true},
      {false, 0, 1000, Range(26, 30), false},
      {false, 27, 3, Range(28, 30), true},
      {false, 27, 2, Range(29, 30), false},
      {false, 28, -1, {}, false},
      {false, 28, INT64_MAX, Range(29, 30), true},
      {false, 28, INT64_MIN, {}, false},
  };
  for (const Case& c : cases) {
    ReadReply r = c.last ? s->Last(kRoom, c.n) : s->Read(kRoom, c.after, epoch, c.n);
    EXPECT_EQ(Offsets(r.messages), c.offsets) << c.last << " " << c.after << " " << c.n;
    EXPECT_EQ(r.recovered, c.recovered) << c.last << " " << c.after << " " << c.n;
    EXPECT_LE(r.messages.size(), 5u);
  }
}

TYPED_TEST(StoreContract, RoomWithoutHistoryGetsAnEpochThatLasts) {
  auto s = this->Make();
  ReadReply l = s->Last("live://empty", 50);
  EXPECT_EQ(l.error, "");
  EXPECT_EQ(l.epoch.size(), 8u);
  EXPECT_EQ(l.newest, 0);
  EXPECT_EQ(l.first_retained, 0);
  EXPECT_TRUE(l.messages.empty());
  EXPECT_TRUE(l.recovered);
  EXPECT_EQ(s->Last("live://empty", 50).epoch, l.epoch);
  EXPECT_TRUE(s->Read("live://empty", 0, l.epoch, 50).recovered);
  EXPECT_FALSE(s->Read("live://empty", 3, l.epoch, 50).recovered);
  // The first message lands in the epoch the reader was given, so the reader recovers it.
  AppendReply a = s->Append("live://empty", kSource, {0, 0}, 1000, "hello");
  EXPECT_EQ(a.epoch, l.epoch);
  EXPECT_FALSE(a.new_epoch);
  EXPECT_EQ(a.items[0].offset, 1);
  ReadReply r = s->Read("live://empty", 0, l.epoch, 50);
  EXPECT_TRUE(r.recovered);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].body, "hello");
}

TYPED_TEST(StoreContract, BadInputGetsAnErrorOrADefinedAnswer) {
  auto s = this->Make();
  const double errors = Metric("goim_history_store_errors_total{op=\"append\"}");
  const double read_errors = Metric("goim_history_store_errors_total{op=\"read\"}");
  AppendReply empty = s->Append("", kSource, {0, 1}, 1000, "x");
  EXPECT_NE(empty.error, "");
  EXPECT_TRUE(empty.items.empty());
  EXPECT_NE(s->Last("", 5).error, "");
  ReadReply long_room = s->Read(std::string(kMaxRoomName + 1, 'r'), 0, "", 5);
  EXPECT_NE(long_room.error, "");
  EXPECT_FALSE(long_room.recovered);
  Batch big(0, 0, static_cast<int>(kMaxBatch) + 1);
  EXPECT_NE(s->AppendBatch(kRoom, kSource, big.in).error, "");
  EXPECT_EQ(Metric("goim_history_store_errors_total{op=\"append\"}") - errors, 2);
  EXPECT_EQ(Metric("goim_history_store_errors_total{op=\"read\"}") - read_errors, 2);
  ReadReply nothing = s->Last(kRoom, 10);  // the refused batch left nothing behind
  EXPECT_EQ(nothing.newest, 0);
  EXPECT_EQ(s->AppendBatch(kRoom, kSource, {}).error, "");

  const std::string epoch = this->Fill(*s, 10);
  EXPECT_FALSE(s->Read(kRoom, -1, epoch, 10).recovered);
  EXPECT_FALSE(s->Read(kRoom, INT64_MIN, epoch, 10).recovered);
  ReadReply never = s->Read(kRoom, 0, "never-existed", 10);
  EXPECT_FALSE(never.recovered);
  EXPECT_EQ(Offsets(never.messages), Range(1, 10));
}

TYPED_TEST(StoreContract, BodiesAreBytes) {
  auto s = this->Make();
  const std::string binary("\0\xff\xfe{\"x\n\r\\", 9);
  const std::string large(64 << 10, 'L');
  s->Append(kRoom, kSource, {0, 1}, 1000, binary);
  s->Append(kRoom, kSource, {0, 2}, 1001, large);
  s->Append(kRoom, kSource, {0, 3}, 1002, "");
  ReadReply l = s->Last(kRoom, 3);
  ASSERT_EQ(l.messages.size(), 3u);
  EXPECT_EQ(l.messages[0].body, binary);
  EXPECT_EQ(l.messages[1].body, large);
  EXPECT_EQ(l.messages[1].op, 1001);
  EXPECT_EQ(l.messages[2].body, "");
}

TYPED_TEST(StoreContract, ReconsumedAfterLeavingRetentionIsStale) {
  auto s = this->Make(/*per_room=*/5);
  this->Fill(*s, 20);  // queue offsets 0..19 -> room offsets 1..20, 16..20 retained
  const double stale = Metric("goim_history_appends_total{result=\"stale\"}");
  Batch old(0, 3, 2);
  AppendReply r = s->AppendBatch(kRoom, kSource, old.in);
  ASSERT_EQ(r.items.size(), 2u);
  for (const Appended& a : r.items) {
    EXPECT_EQ(a.status, AppendStatus::kStale);
    EXPECT_EQ(a.offset, 0);
  }
  EXPECT_EQ(Metric("goim_history_appends_total{result=\"stale\"}") - stale, 2);
  Batch mixed(0, 17, 6);  // 17..19 retained (18..20), 20..22 new
  AppendReply m = s->AppendBatch(kRoom, kSource, mixed.in);
  EXPECT_EQ(Offsets(m.items), (std::vector<int64_t>{18, 19, 20, 21, 22, 23}));
  EXPECT_EQ(m.items[2].status, AppendStatus::kDuplicate);
  EXPECT_EQ(m.items[3].status, AppendStatus::kAppended);
  EXPECT_EQ(Offsets(s->Last(kRoom, 100).messages), Range(19, 23));
}

TYPED_TEST(StoreContract, QueueThatStartedOverStartsANewEpoch) {
  auto s = this->Make(100, 100, /*max_rewind=*/1000);
  const double restarted = Metric("goim_history_epochs_total{reason=\"queue_restarted\"}");
  Batch b(0, 100, 10);
  const std::string e1 = s->AppendBatch(kRoom, kSource, b.in).epoch;
  // The topic was recreated: offset 105 holds another message now.
  AppendReply r = s->Append(kRoom, kSource, {0, 105}, 1000, "another");
  EXPECT_TRUE(r.new_epoch);
  EXPECT_NE(r.epoch, e1);
  EXPECT_EQ(r.items[0].status, AppendStatus::kAppended);
  EXPECT_EQ(r.items[0].offset, 1);
  ReadReply l = s->Read(kRoom, 10, e1, 10);
  EXPECT_FALSE(l.recovered);
  EXPECT_EQ(l.epoch, r.epoch);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_EQ(l.messages[0].body, "another");
  // Further back than any re-consume can reach (maxRewind), retained or not.
  s->Append("live://rewind", kSource, {1, 5000}, 1000, "a");
  AppendReply back = s->Append("live://rewind", kSource, {1, 10}, 1000, "b");
  EXPECT_TRUE(back.new_epoch);
  EXPECT_EQ(back.items[0].offset, 1);
  EXPECT_EQ(Metric("goim_history_epochs_total{reason=\"queue_restarted\"}") - restarted, 2);
}

TYPED_TEST(StoreContract, ReachingMaxOffsetStartsANewEpoch) {
  auto s = this->Make(100, 100, 1000000, /*max_offset=*/256);
  const std::string e1 = this->Fill(*s, 250);
  const double limited = Metric("goim_history_epochs_total{reason=\"offset_limit\"}");
  Batch b(0, 250, 10);  // 251..260 do not fit: the whole batch opens the next epoch
  AppendReply r = s->AppendBatch(kRoom, kSource, b.in);
  EXPECT_TRUE(r.new_epoch);
  EXPECT_NE(r.epoch, e1);
  EXPECT_EQ(Offsets(r.items), Range(1, 10));
  EXPECT_EQ(Metric("goim_history_epochs_total{reason=\"offset_limit\"}") - limited, 1);
  ReadReply old = s->Read(kRoom, 250, e1, 100);
  EXPECT_FALSE(old.recovered);
  EXPECT_EQ(old.newest, 10);
  EXPECT_EQ(old.messages[0].body, Batch::Body(0, 250));
}

TYPED_TEST(StoreContract, AnotherSourceKeepsTheEpoch) {
  auto s = this->Make();
  Batch a(0, 100, 5);
  const std::string epoch = s->AppendBatch(kRoom, "topic-a", a.in).epoch;
  Batch b(0, 0, 2);  // a new queue starts at 0: these are new messages, not re-consumes
  AppendReply r = s->AppendBatch(kRoom, "embedded-2", b.in);
  EXPECT_EQ(r.epoch, epoch);
  EXPECT_FALSE(r.new_epoch);
  EXPECT_EQ(Offsets(r.items), Range(6, 7));
  AppendReply again = s->Append(kRoom, "embedded-2", {0, 1}, 1000, Batch::Body(0, 1));
  EXPECT_EQ(again.items[0].status, AppendStatus::kDuplicate);
  EXPECT_EQ(again.items[0].offset, 7);
}

TYPED_TEST(StoreContract, PartitionsAreTrackedApart) {
  auto s = this->Make();
  const std::string b0 = "zero", b1 = "one";
  std::vector<Input> in{{{0, 10}, 1, b0}, {{1, 5}, 1, b1}, {{0, 11}, 1, b0}, {{1, 6}, 1, b1}};
  EXPECT_EQ(Offsets(s->AppendBatch(kRoom, kSource, in).items), Range(1, 4));
  std::vector<Input> again{{{1, 5}, 1, b1}, {{0, 10}, 1, b0}, {{1, 7}, 1, b1}};
  AppendReply r = s->AppendBatch(kRoom, kSource, again);
  EXPECT_EQ(Offsets(r.items), (std::vector<int64_t>{2, 1, 5}));
  EXPECT_EQ(r.items[0].status, AppendStatus::kDuplicate);
  EXPECT_EQ(r.items[2].status, AppendStatus::kAppended);
}

// One appender (job's loop) and readers on other threads (logic's): every reply is whole.
TYPED_TEST(StoreContract, ConcurrentAppendsAndReadsSeeWholeHistories) {
  auto s = this->Make();
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, replies{0}, started{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      int64_t seen = 0;
      std::string epoch;
      ++started;
      while (!done.load()) {
        ReadReply r = t == 0 ? s->Last(kRoom, 50) : s->Read(kRoom, seen, epoch, 50);
        ++replies;
        bool ok = r.error.empty() && r.newest >= seen &&
                  (r.messages.empty() || r.messages.back().offset == r.newest);
        for (size_t i = 0; i < r.messages.size(); ++i) {
          const Message& m = r.messages[i];
          ok = ok && m.body == Batch::Body(0, m.offset - 1) &&
               (i == 0 || m.offset == r.messages[i - 1].offset + 1);
        }
        if (!ok) ++bad;
        seen = r.newest;
        epoch = r.epoch;
      }
    });
  }
  while (started.load() < 3) std::this_thread::yield();
  // Each batch waits for a reply that began after the previous one, so reads interleave.
  for (int from = 0; from < 1000; from += 20) {
    Batch b(0, from, 20);
    ASSERT_EQ(s->AppendBatch(kRoom, kSource, b.in).error, "");
    const int before = replies.load();
    while (replies.load() < before + 2) std::this_thread::yield();
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0) << "of " << replies.load() << " replies";
  EXPECT_GE(replies.load(), 100);
  EXPECT_EQ(s->Last(kRoom, 1).newest, 1000);
}

}  // namespace
}  // namespace goim::history
