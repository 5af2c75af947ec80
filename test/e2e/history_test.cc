// Room history and recovery end to end (issue 14) against goim-standalone with the in-process
// store, through goim's client protocol and HTTP API. Every wait is on frames or on a condition;
// nothing sleeps for time to pass. The Redis and Kafka cases: history_store_test.cc.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/net/http_client.h"
#include "test/e2e/cluster.h"
#include "test/e2e/history_viewer.h"

namespace goim::e2e {
namespace {

class HistoryBase : public ::testing::Test {
 protected:
  void Push(const std::string& room, const std::string& body) {
    auto r = http_->Post("/goim/push/room?operation=1000&type=live&room=" + room, body);
    ASSERT_EQ(r.body, R"({"code":0,"message":""})") << r.error;
  }
  // Pushes bodies m<from>..m<to-1> and waits until the watcher (not opted in) has them all: job
  // appends before it sends, so they are in the store then. The watcher gets goim's bytes: seq 0.
  void PushAndWait(Viewer& watcher, const std::string& room, int from, int to) {
    for (int i = from; i < to; ++i) Push(room, Body(i));
    auto got = watcher.Take(to - from);
    ASSERT_EQ(static_cast<int>(got.size()), to - from);
    for (int i = 0; i < to - from; ++i) {
      EXPECT_EQ(got[static_cast<size_t>(i)].body, Body(from + i));
      EXPECT_EQ(got[static_cast<size_t>(i)].seq, 0) << "a client that did not opt in";
    }
  }
  std::string Tcp() const { return cluster_->comets[0].tcp; }
  std::string Ws() const { return cluster_->comets[0].ws; }
  std::string Addr(Transport t) const { return t == Transport::kTcp ? Tcp() : Ws(); }
  std::string Unique(const std::string& what) const {
    return what + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  Cluster* cluster_ = nullptr;
  std::unique_ptr<net::HttpClient> http_;
};

// One standalone for the suite: perRoom and maxRequest 250 so 200 missed messages recover.
class HistoryE2E : public HistoryBase {
 protected:
  static std::unique_ptr<Cluster>& Shared() {
    static std::unique_ptr<Cluster> c;
    return c;
  }
  static void TearDownTestSuite() { Shared().reset(); }
  void SetUp() override {
    if (!Shared()) {
      Shared() = MakeStandalone("", "history: {perRoom: 250, maxRequest: 250}\n");
      Shared()->Start();
    }
    cluster_ = Shared().get();
    http_ = std::make_unique<net::HttpClient>(cluster_->http);
  }
};

TEST_F(HistoryE2E, ALateJoinerGetsExactlyTheLastNInOrderThenLive) {
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    const std::string name = Unique(t == Transport::kTcp ? "tcp" : "ws");
    const std::string room = "live://" + name;
    Viewer watcher(Tcp(), Transport::kTcp, room, "");
    ASSERT_TRUE(watcher.ok);
    EXPECT_TRUE(watcher.reply.is_null()) << "not opted in: goim's empty op 8 body";
    PushAndWait(watcher, name, 0, 30);

    Viewer late(Addr(t), t, room, R"("history":10)");
    ASSERT_TRUE(late.ok);
    EXPECT_EQ(late.offset(), 30);
    EXPECT_TRUE(late.recovered());
    EXPECT_FALSE(late.epoch().empty());
    auto replay = late.Take(10);
    ASSERT_EQ(replay.size(), 10u);
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(replay[static_cast<size_t>(i)].body, Body(20 + i));
      EXPECT_EQ(replay[static_cast<size_t>(i)].seq, 21 + i);
    }
    PushAndWait(watcher, name, 30, 31);
    auto live = late.Next();
    ASSERT_TRUE(live);
    EXPECT_EQ(live->body, Body(30));
    EXPECT_EQ(live->seq, 31);
    EXPECT_FALSE(late.c->Read(200ms)) << "nothing more";
  }
}

TEST_F(HistoryE2E, AClientDisconnectedDuring200PushesRecoversEachExactlyOnce) {
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    const std::string name = Unique(t == Transport::kTcp ? "tcp" : "ws");
    const std::string room = "live://" + name;
    Viewer watcher(Tcp(), Transport::kTcp, room, "");
    ASSERT_TRUE(watcher.ok);
    std::string epoch;
    int64_t last = 0;
    {
      Viewer v(Addr(t), t, room, R"("history":0)");
      ASSERT_TRUE(v.ok);
      EXPECT_EQ(v.offset(), 0);
      EXPECT_TRUE(v.recovered());
      PushAndWait(watcher, name, 0, 5);
      auto got = v.Take(5);
      ASSERT_EQ(got.size(), 5u);
      EXPECT_EQ(got.back().seq, 5);
      epoch = v.epoch();
      last = got.back().seq;
    }  // disconnected
    PushAndWait(watcher, name, 5, 205);
    Viewer back(
        Addr(t), t, room,
        R"("history":10,"offset":)" + std::to_string(last) + R"(,"epoch":")" + epoch + "\"");
    ASSERT_TRUE(back.ok);
    EXPECT_TRUE(back.recovered());
    EXPECT_EQ(back.epoch(), epoch);
    EXPECT_EQ(back.offset(), 205);
    auto missed = back.Take(200);
    ASSERT_EQ(missed.size(), 200u);
    for (int i = 0; i < 200; ++i) {
      EXPECT_EQ(missed[static_cast<size_t>(i)].body, Body(5 + i));
      EXPECT_EQ(missed[static_cast<size_t>(i)].seq, 6 + i);
    }
    PushAndWait(watcher, name, 205, 206);
    auto live = back.Next();
    ASSERT_TRUE(live);
    EXPECT_EQ(live->seq, 206);
    EXPECT_FALSE(back.c->Read(200ms)) << "a message came twice";
  }
}

TEST_F(HistoryE2E, FiftyClientsJoiningDuringContinuousPushesSeeNoGapAndNoDuplicate) {
  const std::string name = Unique("storm");
  const std::string room = "live://" + name;
  const int n = 300;
  std::atomic<int> pushed{0}, joined{0};
  // In step: one join per 6 pushes, so every join lands inside the stream.
  std::thread pusher([&] {
    net::HttpClient http(cluster_->http);
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(Eventually([&] { return joined.load() >= std::min(50, i / 6); }, 30s));
      auto r = http.Post("/goim/push/room?operation=1000&type=live&room=" + name, Body(i));
      EXPECT_EQ(r.body, R"({"code":0,"message":""})");
      pushed = i + 1;
    }
  });
  std::vector<std::unique_ptr<Viewer>> viewers;
  for (int i = 0; i < 50; ++i) {
    const int at = i * 6;
    ASSERT_TRUE(Eventually([&] { return pushed.load() >= at; }, 30s));
    viewers.push_back(std::make_unique<Viewer>(Addr(i % 2 ? Transport::kWs : Transport::kTcp),
                                               i % 2 ? Transport::kWs : Transport::kTcp, room,
                                               R"("history":20)"));
    ASSERT_TRUE(viewers.back()->ok);
    ++joined;
  }
  pusher.join();
  // The seam is only tried by joins while pushes were still coming.
  int mid_stream = 0;
  for (const auto& v : viewers) mid_stream += v->offset() > 0 && v->offset() < n;
  std::printf("history: %d of 50 clients joined mid-stream\n", mid_stream);
  EXPECT_GE(mid_stream, 45) << "the joins were not inside the stream: the test proved little";
  for (size_t i = 0; i < viewers.size(); ++i) {
    Viewer& v = *viewers[i];
    EXPECT_TRUE(v.recovered()) << i;
    const int64_t at = v.offset();
    const int64_t first = std::max<int64_t>(at - 20, 0) + 1;  // the replay's first
    int64_t want = first;
    while (want <= n) {
      auto f = v.Next(20s);
      ASSERT_TRUE(f) << "client " << i << " (positioned at " << at << ") lost offset " << want;
      ASSERT_EQ(f->seq, want) << "client " << i << " positioned at " << at;
      ASSERT_EQ(f->body, Body(static_cast<int>(want - 1)));
      ++want;
    }
    EXPECT_FALSE(v.c->Read(100ms)) << "client " << i << " got more than the stream";
    EXPECT_TRUE(v.positions.empty()) << "no epoch change expected";
  }
}

TEST_F(HistoryE2E, AnOffsetThatLeftRetentionGetsRecoveredFalseAndTheNewestN) {
  const std::string name = Unique("r");
  const std::string room = "live://" + name;
  Viewer watcher(Tcp(), Transport::kTcp, room, "");
  ASSERT_TRUE(watcher.ok);
  PushAndWait(watcher, name, 0, 3);
  Viewer first(Tcp(), Transport::kTcp, room, R"("history":3)");
  ASSERT_TRUE(first.ok);
  const std::string epoch = first.epoch();
  first.c.reset();
  PushAndWait(watcher, name, 3, 263);  // perRoom 250: offsets 1..13 are gone
  Viewer back(Ws(), Transport::kWs, room, R"("history":7,"offset":3,"epoch":")" + epoch + "\"");
  ASSERT_TRUE(back.ok);
  EXPECT_FALSE(back.recovered());
  EXPECT_EQ(back.epoch(), epoch) << "the room kept its continuity; the client lost its own";
  EXPECT_EQ(back.offset(), 263);
  auto newest = back.Take(7);
  ASSERT_EQ(newest.size(), 7u);
  EXPECT_EQ(newest.front().seq, 257);
  EXPECT_EQ(newest.back().body, Body(262));
  EXPECT_FALSE(back.c->Read(200ms));
  // A huge N gets maxRequest (250) at most, never more.
  Viewer huge(Tcp(), Transport::kTcp, room, R"("history":1000000000)");
  ASSERT_TRUE(huge.ok);
  EXPECT_EQ(huge.Take(250).size(), 250u);
  EXPECT_FALSE(huge.c->Read(200ms)) << "a reply larger than the cap";
}

TEST_F(HistoryE2E, BadHistoryInputGetsADefinedAnswer) {
  const std::string name = Unique("bad");
  const std::string room = "live://" + name;
  {
    Viewer empty(Tcp(), Transport::kTcp, room, R"("history":50)");
    ASSERT_TRUE(empty.ok);
    EXPECT_TRUE(empty.recovered()) << "a room without history: nothing to give, nothing missing";
    EXPECT_EQ(empty.offset(), 0);
    EXPECT_FALSE(empty.epoch().empty());
    EXPECT_FALSE(empty.c->Read(200ms));
  }
  Viewer watcher(Tcp(), Transport::kTcp, room, "");
  ASSERT_TRUE(watcher.ok);
  PushAndWait(watcher, name, 0, 12);
  const std::string epoch = Viewer(Tcp(), Transport::kTcp, room, R"("history":0)").epoch();
  struct Case {
    std::string extra;
    bool recovered;
    int messages;
  };
  const Case cases[] = {
      {R"("history":-5)", true, 0},                            // negative: none
      {R"("history":1000000000000)", true, 12},                // huge: clamped (all 12 there are)
      {R"("history":"ten")", false, 0},                        // not a number: recovered false
      {R"("history":3.5)", false, 0},                          // not an integer
      {R"("history":4,"offset":2,"epoch":"nope")", false, 4},  // an epoch that never existed
      {R"("history":4,"offset":99,"epoch":")" + epoch + "\"", false, 4},  // beyond the newest
      {R"("history":4,"offset":-1,"epoch":")" + epoch + "\"", false, 4},  // negative offset
      {R"("history":4,"offset":10,"epoch":")" + epoch + "\"", true, 2},   // the good case
  };
  for (const Case& c : cases) {
    Viewer v(Tcp(), Transport::kTcp, room, c.extra);
    ASSERT_TRUE(v.ok) << c.extra;
    EXPECT_EQ(v.recovered(), c.recovered) << c.extra;
    EXPECT_EQ(v.offset(), 12) << c.extra;
    EXPECT_EQ(v.epoch(), epoch) << c.extra;
    auto got = v.Take(c.messages, 5s);
    EXPECT_EQ(static_cast<int>(got.size()), c.messages) << c.extra;
    if (!got.empty()) EXPECT_EQ(got.back().seq, 12) << c.extra;
    EXPECT_FALSE(v.c->Read(200ms)) << c.extra << ": more than its answer";
    EXPECT_TRUE(v.c->Heartbeat()) << c.extra << ": the connection still works";
  }
  // The process's /metrics counts them (standalone: comet, logic and job share it).
  EXPECT_GE(MetricAt(cluster_->http, "goim_comet_history_positions_total{recovered=\"false\"}"), 5);
  // The store's own count leaves out the two asks logic marked bad before reading.
  EXPECT_GE(MetricAt(cluster_->http, "goim_history_reads_total{recovered=\"false\"}"), 3);
  EXPECT_GE(MetricAt(cluster_->http, "goim_history_appends_total{result=\"appended\"}"), 12);
  EXPECT_GE(MetricAt(cluster_->http, "goim_comet_history_replayed_messages_total"), 18);
  EXPECT_EQ(MetricAt(cluster_->http, "goim_history_store_errors_total{op=\"read\"}"), 0);
}

TEST_F(HistoryE2E, AChangeRoomRepositionsWithTheSameN) {
  const std::string a = Unique("a"), b = Unique("b");
  Viewer watcher(Tcp(), Transport::kTcp, "live://" + b, "");
  ASSERT_TRUE(watcher.ok);
  PushAndWait(watcher, b, 0, 8);
  Viewer v(Ws(), Transport::kWs, "live://" + a, R"("history":5)");
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.offset(), 0);
  ASSERT_TRUE(v.c->Send(12, 9, "live://" + b));
  auto reply = v.c->ReadOp(13, 10s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->seq, 9);
  EXPECT_EQ(reply->body, "live://" + b);
  auto got = v.Take(5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got.front().seq, 4);
  EXPECT_EQ(got.back().body, Body(7));
  ASSERT_EQ(v.positions.size(), 1u) << "op 18 tells the position in the new room";
  EXPECT_EQ(v.positions[0].value("offset", int64_t{-1}), 8);
  EXPECT_TRUE(v.positions[0].value("recovered", false));
  PushAndWait(watcher, b, 8, 9);
  auto live = v.Next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->seq, 9);
}

TEST_F(HistoryE2E, ZlibClientsThatOptedInGetTheOffsetsInsideTheCompressedBatch) {
  const std::string name = Unique("z");
  const std::string room = "live://" + name;
  Viewer watcher(Tcp(), Transport::kTcp, room, "");
  ASSERT_TRUE(watcher.ok);
  Viewer plain(Tcp(), Transport::kTcp, room, R"("compress":"zlib")");
  Viewer z(Tcp(), Transport::kTcp, room, R"("compress":"zlib","history":0)");
  ASSERT_TRUE(plain.ok && z.ok);
  const std::string pad(400, 'x');  // over compressThreshold
  for (int i = 0; i < 5; ++i) Push(name, Body(i) + pad);
  auto w = watcher.Take(5), p = plain.Take(5), zs = z.Take(5);
  ASSERT_EQ(w.size(), 5u);
  ASSERT_EQ(p.size(), 5u);
  ASSERT_EQ(zs.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(p[static_cast<size_t>(i)].seq, 0);
    EXPECT_EQ(zs[static_cast<size_t>(i)].seq, i + 1);
    EXPECT_EQ(zs[static_cast<size_t>(i)].body, Body(i) + pad);
  }
  EXPECT_GT(z.c->compressed_frames(), 0) << "the batch was not compressed: nothing was shown";
  EXPECT_GT(plain.c->compressed_frames(), 0);
}

TEST_F(HistoryE2E, TheBackendApiAnswersInGoimsEnvelope) {
  const std::string name = Unique("api");
  const std::string room = "live://" + name;
  Viewer watcher(Tcp(), Transport::kTcp, room, "");
  ASSERT_TRUE(watcher.ok);
  PushAndWait(watcher, name, 0, 6);
  Push(name, std::string("\xff\xfe bin", 6));
  ASSERT_TRUE(watcher.Next());
  auto j = Parse(http_->Get("/goim/history/room?type=live&room=" + name + "&limit=3").body);
  ASSERT_EQ(j.value("code", -1), 0) << j.dump();
  const auto& d = j.at("data");
  EXPECT_EQ(d.at("offset").get<int64_t>(), 7);
  ASSERT_EQ(d.at("messages").size(), 3u);
  EXPECT_EQ(d.at("messages")[0].at("offset").get<int64_t>(), 5);
  EXPECT_EQ(d.at("messages")[0].at("op").get<int32_t>(), 1000);
  EXPECT_EQ(d.at("messages")[0].at("body").get<std::string>(), Body(4));
  EXPECT_EQ(d.at("messages")[2].at("encoding").get<std::string>(), "base64");
  EXPECT_EQ(d.at("messages")[2].at("body").get<std::string>(), "//4gYmlu");
  auto after = Parse(http_
                         ->Get("/goim/history/room?type=live&room=" + name +
                               "&offset=4&epoch=" + d.at("epoch").get<std::string>())
                         .body);
  EXPECT_EQ(after.at("data").at("messages").size(), 3u);
  EXPECT_TRUE(after.at("data").at("recovered").get<bool>());
  auto bad = http_->Get("/goim/history/room?type=live&room=" + name + "&limit=abc");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Parse(bad.body).value("code", 0), -400);
  auto huge = Parse(http_->Get("/goim/history/room?type=live&room=" + name + "&limit=99999").body);
  EXPECT_EQ(huge.at("data").at("messages").size(), 7u) << "capped by maxRequest, all 7 there are";
}

}  // namespace
}  // namespace goim::e2e
