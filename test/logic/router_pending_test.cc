// logic's lookups against a router whose table is being rebuilt: "pending" answers are asked
// again until the router is complete (the lookup then succeeds) or router.syncWait passes (the
// lookup fails naming the router) -- never a success with the sessions missing.
#include <future>

#include <gtest/gtest.h>

#include "logic/router_client.h"
#include "router/router_server.h"

namespace goim::logic {
namespace {

using namespace std::chrono_literals;

struct Answer {
  std::string error;
  size_t found = 0;
  std::chrono::milliseconds took{};
};

Answer GetKeys(RouterClient& rc, const std::vector<std::string>& keys) {
  std::promise<Answer> p;
  auto t0 = std::chrono::steady_clock::now();
  rc.GetKeys(keys, [&](const std::string& err, std::vector<router::Session> s) {
    p.set_value({err, s.size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)});
  });
  return p.get_future().get();
}

TEST(RouterPending, ALookupWaitsForARebuildingRouterThenFailsOrSucceeds) {
  router::Config rc;
  rc.env.host = "r1";
  rc.rpcServer.addr = "127.0.0.1:0";
  // A membership is configured but nothing feeds it: the table stays incomplete until
  // sync.timeout (what a router sees when no comet ever replays).
  rc.discovery.etcd.endpoints = {"127.0.0.1:1"};
  rc.sync.timeout = 1500ms;
  router::RouterServer server(rc);
  server.Start();
  std::string addr = "127.0.0.1:" + std::to_string(server.port());
  router::Session s;
  s.set_key("k1");
  s.set_mid(1);
  s.set_server("comet-1");

  RouterClient impatient({{"r1", addr}}, 1s, 200ms);
  std::promise<std::string> put;
  impatient.Put(s, [&](const std::string& err, RouterClient::PutResult) { put.set_value(err); });
  ASSERT_EQ(put.get_future().get(), "");  // writes are taken while rebuilding
  Answer a = GetKeys(impatient, {"k1", "k2"});
  EXPECT_NE(a.error.find("router r1 (" + addr + "): rebuilding its session table"),
            std::string::npos)
      << a.error;
  EXPECT_EQ(a.found, 0u);
  EXPECT_GE(a.took, 150ms);

  RouterClient patient({{"r1", addr}}, 1s, 5s);
  Answer b = GetKeys(patient, {"k1", "k2"});
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.found, 1u);    // k1; k2 has no session, now known for sure
  EXPECT_GE(b.took, 500ms);  // it waited for the table (sync.timeout)
  EXPECT_FALSE(server.sync().syncing());
  server.Stop();
}

}  // namespace
}  // namespace goim::logic
