// A key that connects again on another comet: the router reports where the key was, and logic
// closes the older connection there (goim.comet.Comet Kick), as goim does on one comet. Logic and a
// router in process, the comets played by recording goim.comet.Comet servers on 127.0.0.1. Logic
// finds them in its comets list, or in the live membership once it has one.
#include <condition_variable>
#include <mutex>

#include <grpcpp/create_channel.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include "api/comet.grpc.pb.h"
#include "api/logic.grpc.pb.h"
#include "logic/logic_server.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/grpc_reply.h"
#include "pkg/queue/embedded.h"
#include "router/router_server.h"

namespace goim::logic {
namespace {

using namespace std::chrono_literals;

// Records the keys it is asked to kick.
class KickedComet final : public goim::comet::Comet::CallbackService {
 public:
  KickedComet() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~KickedComet() override { server_->Shutdown(std::chrono::system_clock::now()); }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // Waits until n kicks arrived; returns the kicked keys.
  std::vector<std::string> WaitKicked(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return kicked_.size() >= n; });
    return kicked_;
  }
  std::vector<std::string> Kicked() {
    std::lock_guard<std::mutex> lock(mu_);
    return kicked_;
  }

  grpc::ServerUnaryReactor* Kick(grpc::CallbackServerContext* ctx, const goim::comet::KickReq* req,
                                 goim::comet::KickReply* reply) override {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_.insert(kicked_.end(), req->keys().begin(), req->keys().end());
    reply->set_closed(req->keys_size());
    cv_.notify_all();
    return net::FinishNow(ctx);
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> kicked_;
};

class TakeoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router::Config rc;
    rc.rpcServer.addr = "127.0.0.1:0";
    router_ = std::make_unique<router::RouterServer>(rc);
    router_->Start();
    Config cfg;
    cfg.httpServer.addr = "127.0.0.1:0";
    cfg.rpcServer.addr = "127.0.0.1:0";
    cfg.online.tick = std::chrono::hours(1);
    cfg.router.nodes = {{"r1", "127.0.0.1:" + std::to_string(router_->port())}};
    discovery::Instance c1, c2, c3;
    c1.hostname = "comet-1";
    c1.grpc = comet1_.addr();
    c2.hostname = "comet-2";
    c2.grpc = comet2_.addr();
    c3.hostname = "comet-3";
    c3.grpc = "127.0.0.1:1";  // nothing listens
    cfg.comets = {c1, c2, c3};
    producer_ = queue_->NewProducer();
    server_ = std::make_unique<LogicServer>(cfg, producer_.get());
    server_->Start();
    stub_ = goim::logic::Logic::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();  // waits for its kicks
    router_->Stop();
  }

  void Connect(const std::string& server, const std::string& key) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    goim::logic::ConnectReq req;
    req.set_server(server);
    req.set_token(R"({"mid":42,"key":")" + key + R"("})");
    goim::logic::ConnectReply reply;
    ASSERT_TRUE(stub_->Connect(&ctx, req, &reply).ok()) << server << " " << key;
  }
  void Heartbeat(const std::string& server, const std::string& key) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    goim::logic::HeartbeatReq req;
    req.set_mid(42);
    req.set_key(key);
    req.set_server(server);
    goim::logic::HeartbeatReply reply;
    ASSERT_TRUE(stub_->Heartbeat(&ctx, req, &reply).ok());
  }
  static double Metric(const std::string& name) { return metrics::Registry::Default().Get(name); }

  KickedComet comet1_, comet2_;
  std::unique_ptr<router::RouterServer> router_;
  std::shared_ptr<queue::Embedded> queue_ = queue::Embedded::Create(1, 100);
  std::unique_ptr<queue::Producer> producer_;
  std::unique_ptr<LogicServer> server_;
  std::unique_ptr<goim::logic::Logic::Stub> stub_;
};

TEST_F(TakeoverTest, TheOlderConnectionIsKickedOnTheCometTheKeyLeft) {
  const double takeovers = Metric("goim_logic_key_takeover_total");
  Connect("comet-1", "moving");
  Connect("comet-1", "staying");
  Connect("comet-1", "staying");  // the same comet: it closes the older one itself
  EXPECT_EQ(Metric("goim_logic_key_takeover_total"), takeovers);
  Connect("comet-2", "moving");
  EXPECT_EQ(comet1_.WaitKicked(1), std::vector<std::string>{"moving"});
  EXPECT_EQ(Metric("goim_logic_key_takeover_total"), takeovers + 1);
  // Back to comet-1: now comet-2 holds the older connection.
  Connect("comet-1", "moving");
  EXPECT_EQ(comet2_.WaitKicked(1), std::vector<std::string>{"moving"});
  // A renewal is no connect: it kicks nobody.
  Heartbeat("comet-2", "moving");
  Connect("comet-1", "fence");  // a later connect: any kick the renewal sent would be there by now
  Connect("comet-2", "fence");
  EXPECT_EQ(comet1_.WaitKicked(2), (std::vector<std::string>{"moving", "fence"}));
  EXPECT_EQ(comet2_.Kicked(), std::vector<std::string>{"moving"});
  EXPECT_EQ(Metric("goim_logic_key_takeover_total"), takeovers + 3);
}

TEST_F(TakeoverTest, AKickThatCannotReachTheCometIsCounted) {
  const double failed = Metric("goim_logic_kick_failed_total");
  Connect("comet-3", "k");
  Connect("comet-1", "k");  // comet-3 is down
  Connect("comet-9", "j");
  Connect("comet-1", "j");  // comet-9 is unknown to logic
  server_->Stop();
  server_.reset();  // waits for the kicks
  EXPECT_EQ(Metric("goim_logic_kick_failed_total"), failed + 2);
}

// With a live membership (etcd) the comets come from it, not from the configured list: a comet
// that joined is kicked on its address there.
TEST_F(TakeoverTest, KicksReachTheCometsOfTheLiveMembership) {
  const double failed = Metric("goim_logic_kick_failed_total");
  Connect("comet-4", "before");
  Connect("comet-1", "before");  // comet-4 is in neither list yet
  EXPECT_EQ(Metric("goim_logic_kick_failed_total"), failed + 1);

  discovery::Instance c1, c4;
  c1.hostname = "comet-1";
  c1.grpc = comet1_.addr();
  c4.hostname = "comet-4";
  c4.grpc = comet2_.addr();  // the recording comet behind comet-2 plays comet-4
  server_->core().SetComets({c1, c4});
  Connect("comet-4", "after");
  Connect("comet-1", "after");
  EXPECT_EQ(comet2_.WaitKicked(1), std::vector<std::string>{"after"});
  Connect("comet-1", "back");
  Connect("comet-4", "back");
  EXPECT_EQ(comet1_.WaitKicked(1), std::vector<std::string>{"back"});
  EXPECT_EQ(Metric("goim_logic_kick_failed_total"), failed + 1);
}

}  // namespace
}  // namespace goim::logic
