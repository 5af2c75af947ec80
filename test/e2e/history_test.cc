// Room history and recovery end to end (issue 14), through goim's client protocol and HTTP API:
// against goim-standalone (the in-process store; and the Redis store over a Redis restart), and
// against router + logic + comets + jobs on Kafka with a Redis store (a job killed mid-stream).
// Every wait is on frames or on a condition; nothing sleeps for time to pass.
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/json/json.h"
#include "pkg/net/http_client.h"
#include "test/e2e/cluster.h"
#include "test/support/goim_client.h"
#include "test/support/redis_server.h"

namespace goim::e2e {
namespace {

using testing::Client;
using testing::Frame;
using Transport = Client::Transport;

constexpr int32_t kOp = 1000;
constexpr int32_t kOpPosition = 18;

json::Json Parse(const std::string& body) {
  json::Json v;
  std::string err;
  EXPECT_TRUE(json::Parse(body, &v, &err)) << body;
  return v;
}

// A connection to a comet, authed into room with more auth JSON fields (`extra`, "" for none).
struct Viewer {
  std::unique_ptr<Client> c;
  json::Json reply;  // the op 8 body (null when it was empty)
  bool ok = false;

  Viewer(const std::string& addr, Transport t, const std::string& room, const std::string& extra) {
    std::string err;
    c = Client::Dial(addr, t, &err);
    if (!c) {
      ADD_FAILURE() << err;
      return;
    }
    std::string tok = testing::Token(0, "", room, {kOp});
    if (!extra.empty()) tok.insert(tok.size() - 1, "," + extra);
    if (!c->Send(7, 1, tok)) return;
    auto f = c->ReadOp(8, 10s);
    if (!f) {
      ADD_FAILURE() << "no auth reply for " << tok;
      return;
    }
    ok = true;
    if (!f->body.empty()) reply = Parse(f->body);
  }
  // The next room message (op 1000), or nullopt after timeout; op 18 notices are kept.
  std::optional<Frame> Next(std::chrono::milliseconds timeout = 10s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto f = c->Read(std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now()));
      if (!f) return std::nullopt;
      if (f->op == kOp) return f;
      if (f->op == kOpPosition) positions.push_back(Parse(f->body));
    }
    return std::nullopt;
  }
  // The next n room messages (fewer when they stop coming).
  std::vector<Frame> Take(int n, std::chrono::milliseconds timeout = 20s) {
    std::vector<Frame> out;
    while (static_cast<int>(out.size()) < n) {
      auto f = Next(timeout);
      if (!f) break;
      out.push_back(std::move(*f));
    }
    return out;
  }
  std::string epoch() const { return reply.is_object() ? reply.value("epoch", "") : ""; }
  int64_t offset() const { return reply.is_object() ? reply.value("offset", int64_t{-1}) : -1; }
  bool recovered() const { return reply.is_object() && reply.value("recovered", false); }
  std::vector<json::Json> positions;
};

// Message i of a test's room is "m<i>"; its room offset is first + i.
std::string Body(int i) { return "m" + std::to_string(i); }

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

// --- the Redis store -----------------------------------------------------------------------------

TEST(HistoryRedisE2E, ARestartKeepsTheHistoryAWipeStartsANewEpochAnOutageLosesNoPush) {
  if (testing::RedisServer::Binary().empty()) GTEST_SKIP() << "redis-server is not installed";
  testing::RedisServer redis;
  std::string why;
  ASSERT_TRUE(redis.Start(&why)) << why;
  auto cluster =
      MakeStandalone("", "history: {store: redis, redis: {addr: \"" + redis.addr() + "\"}}\n");
  cluster->Start();
  net::HttpClient http(cluster->http);
  const std::string room = "live://restart";
  std::string err;
  Viewer watcher(cluster->comets[0].tcp, Transport::kTcp, room, "");
  ASSERT_TRUE(watcher.ok);
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(i)).body,
              R"({"code":0,"message":""})");
  ASSERT_EQ(watcher.Take(20).size(), 20u);
  Viewer before(cluster->comets[0].tcp, Transport::kTcp, room, R"("history":20)");
  ASSERT_EQ(before.offset(), 20);
  redis.Stop();
  ASSERT_TRUE(redis.Start(&why)) << why;
  Viewer after(cluster->comets[0].ws, Transport::kWs, room, R"("history":20)");
  ASSERT_TRUE(after.ok);
  EXPECT_TRUE(after.recovered());
  EXPECT_EQ(after.epoch(), before.epoch());
  EXPECT_EQ(after.offset(), 20);
  auto got = after.Take(20);
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[static_cast<size_t>(i)].body, Body(i));
  // And appends continue the same epoch.
  ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(20)).body,
            R"({"code":0,"message":""})");
  auto live = after.Next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->seq, 21);

  // The history wiped (FLUSHALL): the next push starts a new epoch, and the connected client is
  // told before it (op 18, recovered false) so its offsets starting over are not mistaken for
  // duplicates.
  EXPECT_EQ(redis.Command({"FLUSHALL"}), "OK");
  ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(21)).body,
            R"({"code":0,"message":""})");
  auto first = after.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, Body(21));
  EXPECT_EQ(first->seq, 1);
  ASSERT_EQ(after.positions.size(), 1u);
  EXPECT_NE(after.positions[0].value("epoch", ""), before.epoch());
  EXPECT_FALSE(after.positions[0].value("recovered", true));
  EXPECT_EQ(after.positions[0].value("offset", int64_t{-1}), 0);

  // Redis down: pushes are still delivered (without offsets: seq 0, counted), joins still
  // succeed with recovered false; nothing stalls.
  redis.Stop();
  ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(22)).body,
            R"({"code":0,"message":""})");
  auto unnumbered = after.Next();
  ASSERT_TRUE(unnumbered) << "a push was lost with the store down";
  EXPECT_EQ(unnumbered->body, Body(22));
  EXPECT_EQ(unnumbered->seq, 0);
  EXPECT_GE(MetricAt(cluster->http, "goim_job_history_unnumbered_total"), 1);
  EXPECT_GE(MetricAt(cluster->http, "goim_history_store_errors_total{op=\"append\"}"), 1);
  Viewer down(cluster->comets[0].tcp, Transport::kTcp, room, R"("history":5)");
  ASSERT_TRUE(down.ok) << "the auth must not fail with the store";
  EXPECT_FALSE(down.recovered());
  EXPECT_GE(MetricAt(cluster->http, "goim_comet_history_errors_total"), 1);
  EXPECT_TRUE(down.c->Heartbeat());
}

// --- Kafka: a job killed mid-stream --------------------------------------------------------------

// Two jobs on Kafka with a Redis store; commits once a second, so the killed job surely dies with
// appended and delivered but uncommitted messages, which the survivor (or its restart) consumes
// again: each must come with the offset it got the first time.
TEST(HistoryKafkaE2E, AJobKilledMidStreamLeavesEveryMessageItsFirstOffset) {
  if (testing::RedisServer::Binary().empty()) GTEST_SKIP() << "redis-server is not installed";
  testing::RedisServer redis;
  std::string why;
  ASSERT_TRUE(redis.Start(&why)) << why;
  KafkaClusterOptions o;
  o.commit_interval = "1s";
  o.shared_yaml = "history: {enabled: true, store: redis, perRoom: 500, redis: {addr: \"" +
                  redis.addr() + "\"}}\n";
  auto cluster = MakeKafka(o);
  cluster->Start();
  for (const auto& addr : cluster->job_metrics)
    ASSERT_TRUE(
        Eventually([&] { return MetricAt(addr, "goim_job_assigned_partitions") > 0; }, 45s));
  const std::vector<std::string> rooms = {"k0", "k1", "k2", "k3", "k4", "k5"};
  std::map<std::string, std::vector<std::unique_ptr<Viewer>>> by_room;
  for (const auto& r : rooms) {
    for (int i = 0; i < 2; ++i) {
      const auto& c = cluster->comets[static_cast<size_t>(i)];
      by_room[r].push_back(
          std::make_unique<Viewer>(c.tcp, Transport::kTcp, "live://" + r, R"("history":0)"));
      ASSERT_TRUE(by_room[r].back()->ok);
    }
  }
  const int n = 150;
  std::thread pusher([&] {
    net::HttpClient http(cluster->http);
    for (int m = 0; m < n; ++m) {
      for (const auto& r : rooms)
        EXPECT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=" + r, Body(m)).body,
                  R"({"code":0,"message":""})");
      std::this_thread::sleep_for(10ms);  // paces the stream so the kill lands inside it
    }
  });
  Process* victim = Jobs(*cluster).front();
  ASSERT_TRUE(Eventually(
      [&] { return MetricAt(cluster->job_metrics[0], "goim_job_done_total") >= 40; }, 30s));
  victim->Stop(SIGKILL);
  victim->Start();
  pusher.join();
  int redelivered = 0;
  for (auto& [room, viewers] : by_room) {
    for (auto& v : viewers) {
      std::map<std::string, std::set<int32_t>> seqs;  // body -> every seq it came with
      while (static_cast<int>(seqs.size()) < n) {
        auto f = v->Next(60s);
        ASSERT_TRUE(f) << room << ": lost messages, got " << seqs.size();
        if (!seqs[f->body].insert(f->seq).second) ++redelivered;
      }
      std::set<int32_t> all;
      for (const auto& [body, s] : seqs) {
        ASSERT_EQ(s.size(), 1u) << room << " " << body << " came under two offsets";
        EXPECT_GT(*s.begin(), 0) << room << " " << body << " came without an offset";
        all.insert(*s.begin());
      }
      EXPECT_EQ(all.size(), static_cast<size_t>(n)) << room << ": two messages share an offset";
      EXPECT_EQ(*all.begin(), 1);
      EXPECT_EQ(*all.rbegin(), n) << room << ": offsets not contiguous";
    }
  }
  std::printf("history: job killed mid-stream, %d frames not sent again to opted-in clients\n",
              redelivered);
  // Re-consumed messages reached the store again and were answered with their first offsets.
  double dups = 0;
  for (const auto& addr : cluster->job_metrics)
    dups += MetricAt(addr, "goim_history_appends_total{result=\"duplicate\"}");
  EXPECT_GT(dups, 0) << "the kill did not hit uncommitted work: the test proved nothing";
}

}  // namespace
}  // namespace goim::e2e
