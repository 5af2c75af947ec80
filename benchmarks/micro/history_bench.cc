// Room history stores: one append batch of 20 (job's flush) and one read of 50 (a client joining
// with "history": 50), for the memory store and for Redis over loopback (a redis-server of the
// benchmark's own, AOF on, as the tests start it; skipped when redis-server is not installed).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "pkg/history/store.h"
#include "test/support/redis_server.h"

namespace goim::history {
namespace {

constexpr int kRooms = 64;

std::string RoomName(int i) { return "live://" + std::to_string(i); }

std::unique_ptr<testing::RedisServer> server;

// Redis's CPU time (user + sys, seconds): the server's share of a call, apart from the loopback
// and client costs and from the waits of this busy 2-core machine.
double ServerCpuSeconds() {
  std::string info = server->Command({"INFO", "cpu"});
  double total = 0;
  for (const char* key : {"used_cpu_sys:", "used_cpu_user:"}) {
    size_t at = info.find(key);
    if (at != std::string::npos) total += std::stod(info.substr(at + std::string(key).size()));
  }
  return total;
}

// Reports the server's CPU microseconds per iteration as the counter redis_cpu_us.
class ServerCpu {
 public:
  explicit ServerCpu(benchmark::State& state)
      : state_(state), on_(state.range(0) == 1), start_(on_ ? ServerCpuSeconds() : 0) {}
  ~ServerCpu() {
    if (on_ && state_.iterations() > 0)
      state_.counters["redis_cpu_us"] =
          (ServerCpuSeconds() - start_) * 1e6 / static_cast<double>(state_.iterations());
  }

 private:
  benchmark::State& state_;
  bool on_;
  double start_;
};

// The store for a benchmark, or nullptr after SkipWithError.
std::unique_ptr<Store> MakeStore(benchmark::State& state, bool redis) {
  Config cfg;
  if (redis) {
    static std::string why;
    if (!server && why.empty()) {
      server = std::make_unique<testing::RedisServer>();
      if (!server->Start(&why)) server.reset();
    }
    if (!server) {
      state.SkipWithError(why.c_str());
      return nullptr;
    }
    static int stores = 0;
    cfg.store = "redis";
    cfg.redis.addr = server->addr();
    cfg.redis.keyPrefix = "bench" + std::to_string(++stores) + ":";
  }
  std::string error;
  auto s = Open(cfg, &error);
  if (!s) state.SkipWithError(error.c_str());
  return s;
}

void BM_AppendBatch20(benchmark::State& state) {
  auto s = MakeStore(state, state.range(0) == 1);
  if (!s) return;
  const std::string body(static_cast<size_t>(state.range(1)), 'd');
  std::vector<std::string> rooms;
  for (int i = 0; i < kRooms; ++i) rooms.push_back(RoomName(i));
  int64_t position = 0;
  size_t room = 0;
  std::vector<Input> batch(20);
  ServerCpu cpu(state);
  for (auto _ : state) {
    for (Input& in : batch) in = {{0, position++}, 1000, body};
    AppendReply r = s->AppendBatch(rooms[room++ % kRooms], "bench", batch);
    if (!r.error.empty()) state.SkipWithError(r.error.c_str());
  }
  state.SetItemsProcessed(state.iterations() * 20);
}
BENCHMARK(BM_AppendBatch20)
    ->ArgNames({"redis", "body"})
    ->Args({0, 32})
    ->Args({0, 256})
    ->Args({1, 32})
    ->Args({1, 256})
    ->UseRealTime();

void BM_Read50(benchmark::State& state) {
  auto s = MakeStore(state, state.range(0) == 1);
  if (!s) return;
  const std::string body(static_cast<size_t>(state.range(1)), 'd');
  std::vector<std::string> rooms, epochs;
  int64_t position = 0;
  for (int i = 0; i < kRooms; ++i) {
    rooms.push_back(RoomName(i));
    for (int b = 0; b < 5; ++b) {  // 100 messages a room: a full history
      std::vector<Input> batch(20);
      for (Input& in : batch) in = {{0, position++}, 1000, body};
      epochs.resize(rooms.size());
      epochs.back() = s->AppendBatch(rooms.back(), "bench", batch).epoch;
    }
  }
  const bool last = state.range(2) == 0;
  size_t room = 0;
  ServerCpu cpu(state);
  for (auto _ : state) {
    const size_t i = room++ % kRooms;
    ReadReply r = last ? s->Last(rooms[i], 50) : s->Read(rooms[i], 50, epochs[i], 50);
    if (r.messages.size() != 50 || !r.recovered) state.SkipWithError("short read");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 50);
}
// mode 0: Last(50) (a joiner), 1: Read(after newest-50, epoch, 50) (a reconnect).
BENCHMARK(BM_Read50)
    ->ArgNames({"redis", "body", "mode"})
    ->Args({0, 32, 0})
    ->Args({0, 32, 1})
    ->Args({0, 256, 0})
    ->Args({1, 32, 0})
    ->Args({1, 32, 1})
    ->Args({1, 256, 0})
    ->UseRealTime();

}  // namespace
}  // namespace goim::history

BENCHMARK_MAIN();
