#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include "api/router.grpc.pb.h"
#include "router/router_server.h"

namespace goim::router {
namespace {

class RouterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config cfg;
    cfg.rpcServer.addr = "127.0.0.1:0";
    cfg.metrics.addr = "";
    server_ = std::make_unique<RouterServer>(cfg);
    server_->Start();
    stub_ = Router::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                grpc::InsecureChannelCredentials()));
  }
  template <class Req, class Reply, class M>
  Reply Call(M method, const Req& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    Reply reply;
    grpc::Status st = ((*stub_).*method)(&ctx, req, &reply);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return reply;
  }
  static Session S(int64_t mid, const std::string& key, const std::string& server) {
    Session s;
    s.set_mid(mid);
    s.set_key(key);
    s.set_server(server);
    return s;
  }
  std::unique_ptr<RouterServer> server_;
  std::unique_ptr<Router::Stub> stub_;
};

// A second router on the same port fails to start instead of silently taking part of the calls
// (gRPC's default SO_REUSEPORT), as goim's would.
TEST_F(RouterServiceTest, ASecondServerOnTheSamePortDoesNotStart) {
  Config cfg;
  cfg.rpcServer.addr = "127.0.0.1:" + std::to_string(server_->port());
  cfg.metrics.addr = "";
  RouterServer second(cfg);
  EXPECT_THROW(second.Start(), std::runtime_error);
}

TEST_F(RouterServiceTest, BatchPutLookupDelOverGrpc) {
  PutReq put;
  for (int i = 1; i <= 3; ++i) {
    *put.add_by_key() = S(i, "key" + std::to_string(i), "comet-a");
    *put.add_by_mid() = S(i, "key" + std::to_string(i), "comet-a");
  }
  *put.add_by_mid() = S(1, "key1b", "comet-b");
  EXPECT_EQ((Call<PutReq, PutReply>(&Router::Stub::Put, put).existed()), 0);
  EXPECT_EQ((Call<PutReq, PutReply>(&Router::Stub::Put, put).existed()), 7);

  GetKeysReq gk;
  gk.add_keys("key1");
  gk.add_keys("missing");
  gk.add_keys("key3");
  auto keys = Call<GetKeysReq, GetKeysReply>(&Router::Stub::GetKeys, gk);
  ASSERT_EQ(keys.sessions_size(), 2);
  EXPECT_EQ(keys.sessions(0).key(), "key1");
  EXPECT_EQ(keys.sessions(1).mid(), 3);

  GetMidsReq gm;
  gm.add_mids(1);
  gm.add_mids(99);
  auto mids = Call<GetMidsReq, GetMidsReply>(&Router::Stub::GetMids, gm);
  EXPECT_EQ(mids.sessions_size(), 2);  // mid 1 on two comets

  DelReq del;
  *del.add_by_key() = S(1, "key1", "comet-b");  // wrong server: kept
  *del.add_by_key() = S(2, "key2", "comet-a");
  EXPECT_EQ((Call<DelReq, DelReply>(&Router::Stub::Del, del).deleted()), 1);

  auto stats = Call<StatsReq, StatsReply>(&Router::Stub::Stats, StatsReq());
  EXPECT_EQ(stats.keys(), 2);
  EXPECT_EQ(stats.server_keys().at("comet-a"), 2);

  DelServerReq ds;
  ds.set_server("comet-a");
  EXPECT_EQ((Call<DelServerReq, DelServerReply>(&Router::Stub::DelServer, ds).deleted()), 5);
}

TEST_F(RouterServiceTest, OnlineReportsAndValidation) {
  PutOnlineReq po;
  po.mutable_online()->set_server("comet-a");
  (*po.mutable_online()->mutable_room_count())["live://1"] = 5;
  po.mutable_online()->set_conn_count(5);
  Call<PutOnlineReq, PutOnlineReply>(&Router::Stub::PutOnline, po);
  auto online = Call<OnlineReq, OnlineReply>(&Router::Stub::Online, OnlineReq());
  ASSERT_EQ(online.servers_size(), 1);
  EXPECT_EQ(online.servers(0).room_count().at("live://1"), 5);
  EXPECT_GT(online.servers(0).updated_ms(), 0);

  grpc::ClientContext ctx;
  PutOnlineReply r;
  grpc::Status st = stub_->PutOnline(&ctx, PutOnlineReq(), &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace goim::router
