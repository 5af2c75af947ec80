// Micro benchmarks of logic's JSON on the connect and push paths: parsing goim's auth token
// (every connect, ~20k/s in a connect storm) and encoding the HTTP API's reply envelope.
#include <string>

#include <benchmark/benchmark.h>

#include "logic/auth.h"
#include "logic/http_api.h"
#include "logic/logic.h"

namespace goim::logic {
namespace {

void BM_ParseAuthToken(benchmark::State& state) {
  // goim's web client token, and one with a non-UTF-8 room (repaired to U+FFFD).
  const std::string token =
      state.range(0) == 0
          ? R"({"mid":123, "key":"", "room_id":"live://1000", "platform":"web", "accepts":[1000,1001,1002]})"
          : "{\"mid\":123, \"key\":\"\", \"room_id\":\"live://\xFF\", \"platform\":\"web\", "
            "\"accepts\":[1000,1001,1002]}";
  AuthToken t;
  for (auto _ : state) {
    std::string err = ParseToken(token, &t);
    benchmark::DoNotOptimize(err.data());
    benchmark::DoNotOptimize(t.mid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAuthToken)->ArgName("bad_utf8")->Arg(0)->Arg(1);

void BM_ReplyEnvelope(benchmark::State& state) {
  for (auto _ : state) {
    std::string s = Envelope(kRequestErr, "operation: 'x' is not a valid int32");
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplyEnvelope);

}  // namespace
}  // namespace goim::logic

BENCHMARK_MAIN();
