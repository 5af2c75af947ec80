// Smoke test of the load tools and the fan-out harness against a real goim-standalone on free
// ports, so they cannot rot: a few hundred clients for a few seconds. It checks counts (every push
// reaches every client exactly once), never speed.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/json/json.h"
#include "test/e2e/cluster.h"

namespace goim::e2e {
namespace {

std::string Tool(const std::string& name) { return std::string(GOIM_BENCH_DIR) + "/" + name; }

// Runs a command to completion; returns its stdout and stderr.
std::string RunCommand(const std::string& cmd, int* status) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  *status = ::pclose(f);
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A tool left running in the background, its output in a file; killed by PID.
class Background {
 public:
  Background(const std::vector<std::string>& args, std::string out) : out_(std::move(out)) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Background() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }
  std::string output() const { return Slurp(out_); }

 private:
  std::string out_;
  pid_t pid_ = -1;
};

class BenchSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = MakeStandalone();
    cluster_->Start();
  }
  std::unique_ptr<Cluster> cluster_;
};

// A member of the summary; a missing one reads as -1 / "" so the comparisons fail.
int64_t I(const json::Json& v, std::string_view k) {
  auto m = v.find(k);
  return m != v.end() && m->is_number() ? m->get<int64_t>() : -1;
}
double D(const json::Json& v, std::string_view k) {
  auto m = v.find(k);
  return m != v.end() && m->is_number() ? m->get<double>() : -1;
}
std::string S(const json::Json& v, std::string_view k) {
  auto m = v.find(k);
  return m != v.end() && m->is_string() ? m->get<std::string>() : "";
}

// The harness's JSON summary (its last line) as parsed values.
json::Json Summary(const std::string& out) {
  std::string last = out.substr(out.rfind('{'));
  json::Json v;
  std::string err;
  EXPECT_TRUE(json::Parse(last, &v, &err)) << err << "\n" << out;
  return v;
}

TEST_F(BenchSmoke, FanoutOverTcpDeliversEveryPushToEveryClientOnce) {
  const auto& c = cluster_->comets[0];
  int status = -1;
  std::string out =
      RunCommand(Tool("goim-bench") + " fanout --clients 300 --rate 20 --duration 3 --comet " +
                     c.tcp + " --logic " + cluster_->http + " --pid " +
                     std::to_string(cluster_->procs[0]->pid()) + " --procs 1 --json",
                 &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("deliveries"), std::string::npos) << out;
  EXPECT_NE(out.find("latency"), std::string::npos) << out;
  json::Json s = Summary(out);
  EXPECT_EQ(I(s, "clients"), 300);
  EXPECT_EQ(I(s, "refused"), 0) << out;
  EXPECT_EQ(I(s, "expected"), 300 * 60) << out;  // 20 pushes/s for 3 s, to each of 300 clients
  EXPECT_EQ(I(s, "received"), I(s, "expected")) << out;
  EXPECT_EQ(I(s, "lost"), 0) << out;
  EXPECT_EQ(I(s, "duplicates"), 0) << out;
  EXPECT_GT(D(s, "p50_ms"), 0) << out;
  EXPECT_GT(I(s, "rss"), 0) << out;  // read from /proc of the --pid process
}

// Every expected delivery arrived, once.
void ExpectEveryDeliveryOnce(const json::Json& s, int64_t expected, const std::string& out) {
  EXPECT_EQ(I(s, "expected"), expected) << out;
  EXPECT_EQ(I(s, "received"), I(s, "expected")) << out;
  EXPECT_EQ(I(s, "lost") + I(s, "duplicates"), 0) << out;
}

TEST_F(BenchSmoke, FanoutOverWebSocketAndStraightToTheCometsGrpc) {
  const auto& c = cluster_->comets[0];
  const std::string fanout =
      Tool("goim-bench") + " fanout --clients 200 --duration 2 --logic " + cluster_->http;
  int status = -1;
  std::string out = RunCommand(
      fanout + " --rate 20 --transport ws --comet " + c.ws + " --procs 1 --json", &status);
  ASSERT_EQ(status, 0) << out;
  json::Json ws = Summary(out);
  EXPECT_EQ(S(ws, "transport"), "ws");
  ExpectEveryDeliveryOnce(ws, 200 * 40, out);

  out = RunCommand(
      fanout + " --rate 40 --comet " + c.tcp + " --grpc " + c.grpc + " --batch 4 --procs 1 --json",
      &status);
  ASSERT_EQ(status, 0) << out;
  json::Json g = Summary(out);
  EXPECT_EQ(S(g, "path"), "grpc");
  ExpectEveryDeliveryOnce(g, 200 * 80, out);
}

TEST_F(BenchSmoke, GoimClientToolCountsEveryRoomPushOfPushRoom) {
  const int clients = 50;
  Background client({Tool("client"), "1", std::to_string(clients), cluster_->comets[0].tcp, "0"},
                    LogDir() + "/bench-smoke-client.log");
  ASSERT_TRUE(client.started());
  // The tool prints "<time> alive:N down:N down/s:N" every 5 s.
  ASSERT_TRUE(Eventually(
      [&] { return client.output().find("alive:" + std::to_string(clients)) != std::string::npos; },
      20s))
      << client.output();
  int status = -1;
  std::string pushed = RunCommand(Tool("push_room") + " 1 10 " + cluster_->http + " 2", &status);
  ASSERT_EQ(status, 0) << pushed;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(pushed, m, std::regex("done ok:(\\d+) failed:0"))) << pushed;
  long long ok = std::stoll(m[1]);
  EXPECT_GE(ok, 10) << pushed;
  const std::string want = "down:" + std::to_string(ok * clients) + " ";
  EXPECT_TRUE(Eventually([&] { return client.output().find(want) != std::string::npos; }, 20s))
      << "want " << want << "\n"
      << client.output();
}

}  // namespace
}  // namespace goim::e2e
