// Job room batching: messages per second appended into OpRaw buffers and flushed at `batch`.
#include <benchmark/benchmark.h>

#include "job/batcher.h"

namespace goim::job {
namespace {

void BM_RoomBatcherAppend(benchmark::State& state) {
  time::Timer timer(1024);
  int64_t flushed = 0;
  RoomBatchers b(
      timer, static_cast<int>(state.range(0)), std::chrono::minutes(1),
      [](const std::string&, time::TimePoint) { return std::chrono::milliseconds(100); },
      [&](Batch&& x) { flushed += x.count; });
  const std::string msg(static_cast<size_t>(state.range(1)), 'x');
  std::vector<std::string> rooms;
  for (int i = 0; i < 64; ++i) rooms.push_back("live://" + std::to_string(i));
  int64_t n = 0;
  for (auto _ : state) {
    b.Append(rooms[static_cast<size_t>(n & 63)], 1000, msg, {0, n});
    ++n;
  }
  b.FlushAll();
  state.SetItemsProcessed(state.iterations());
  benchmark::DoNotOptimize(flushed);
}
BENCHMARK(BM_RoomBatcherAppend)->Args({20, 16})->Args({20, 256})->Args({1, 16});

}  // namespace
}  // namespace goim::job

BENCHMARK_MAIN();
