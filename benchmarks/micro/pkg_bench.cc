// Micro benchmarks of the pkg hot paths: frame encode/decode, ring, timer, ketama, buffer pool.
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "benchmarks/lib/payload.h"
#include "pkg/bytes/pool.h"
#include "pkg/compress/compress.h"
#include "pkg/hash/ketama.h"
#include "pkg/protocol/frame.h"
#include "pkg/ring/ring.h"
#include "pkg/time/timer.h"

namespace goim {
namespace {

void BM_FrameEncode(benchmark::State& state) {
  std::string body(static_cast<size_t>(state.range(0)), 'x');
  std::string out;
  for (auto _ : state) {
    out.clear();
    protocol::AppendFrame(&out, 1, 1000, 0, body);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size() + 16));
}
BENCHMARK(BM_FrameEncode)->Arg(10)->Arg(512);

void BM_FrameDecodeTcp(benchmark::State& state) {
  // A buffer of back-to-back heartbeat-sized frames, decoded through the sourceless reader as
  // the comet's loop does.
  const int frames = 64;
  std::string data;
  for (int i = 0; i < frames; ++i)
    protocol::AppendFrame(&data, 1, 2, i, std::string(static_cast<size_t>(state.range(0)), 'y'));
  std::vector<uint8_t> mem(data.size() + 64);
  protocol::Frame p;
  for (auto _ : state) {
    bufio::Reader r({mem.data(), mem.size()});
    auto tail = r.WritableTail();
    std::memcpy(tail.data(), data.data(), data.size());
    r.Commit(data.size());
    while (protocol::ReadTcp(r, &p) == protocol::Error::kOk) benchmark::DoNotOptimize(p.op);
  }
  state.SetItemsProcessed(state.iterations() * frames);
}
BENCHMARK(BM_FrameDecodeTcp)->Arg(0)->Arg(100);

void BM_RingSetGet(benchmark::State& state) {
  ring::Ring<protocol::Frame> r(8);
  protocol::Frame* p;
  for (auto _ : state) {
    r.Set(&p);
    p->op = 2;
    r.SetAdv();
    r.Get(&p);
    benchmark::DoNotOptimize(p->op);
    r.GetAdv();
  }
}
BENCHMARK(BM_RingSetGet);

void Noop(void*) {}

void BM_TimerAddDel(benchmark::State& state) {
  // Add/Del against a heap already holding range(0) entries (one per idle connection).
  time::Timer t(static_cast<size_t>(state.range(0)) + 16);
  std::vector<time::TimerId> base;
  for (int64_t i = 0; i < state.range(0); ++i)
    base.push_back(t.Add(std::chrono::seconds(60 + i % 300), Noop, nullptr));
  for (auto _ : state) {
    time::TimerId id = t.Add(std::chrono::seconds(120), Noop, nullptr);
    t.Del(id);
  }
}
BENCHMARK(BM_TimerAddDel)->Arg(0)->Arg(20000);

void BM_TimerSet(benchmark::State& state) {
  // The heartbeat path: push one entry's deadline out.
  time::Timer t(20016);
  std::vector<time::TimerId> ids;
  for (int i = 0; i < 20000; ++i)
    ids.push_back(t.Add(std::chrono::seconds(60 + i % 300), Noop, nullptr));
  size_t i = 0;
  for (auto _ : state) {
    t.Set(ids[i], std::chrono::seconds(480));
    i = (i + 7919) % ids.size();
  }
}
BENCHMARK(BM_TimerSet);

void BM_KetamaGet(benchmark::State& state) {
  std::vector<std::string> nodes;
  for (int64_t i = 0; i < state.range(0); ++i) nodes.push_back("router-" + std::to_string(i));
  hash::Ketama ring(nodes);
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back(std::to_string(1000000 + i));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring.Get(keys[i++ & 1023]).data());
  }
}
BENCHMARK(BM_KetamaGet)->Arg(3)->Arg(16);

void BM_PoolGetPut(benchmark::State& state) {
  bytes::Pool pool(8192, 1024);
  for (auto _ : state) {
    bytes::Buffer* b = pool.Get();
    benchmark::DoNotOptimize(b->data);
    pool.Put(b);
  }
}
BENCHMARK(BM_PoolGetPut);

// One push's compression, paid once per push per comet: a batch of N 100-byte JSON danmaku.
std::string Batch(int frames) {
  std::string out;
  for (int i = 0; i < frames; ++i)
    protocol::AppendFrame(&out, 1, 1000, 0, bench::Body(i, 1733000000000000000 + i, 100, true));
  return out;
}

void BM_CompressBatch(benchmark::State& state) {
  const auto codec = static_cast<compress::Codec>(state.range(0));
  const std::string batch = Batch(static_cast<int>(state.range(1)));
  std::string out;
  for (auto _ : state) {
    compress::Compress(codec, batch, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(compress::CodecName(codec)) + " " + std::to_string(batch.size()) +
                 " -> " + std::to_string(out.size()) + " B");
}
BENCHMARK(BM_CompressBatch)
    ->ArgsProduct({{static_cast<int>(compress::Codec::kZlib),
                    static_cast<int>(compress::Codec::kBrotli),
                    static_cast<int>(compress::Codec::kDeflateRaw)},
                   {4, 20}});

void BM_InflateClientFrame(benchmark::State& state) {
  std::string frame, z, out;
  protocol::AppendFrame(&frame, 1, 2, 1, "");
  compress::Compress(compress::Codec::kDeflateRaw, frame, &z);
  for (auto _ : state) {
    compress::Decompress(compress::Codec::kDeflateRaw,
                         {reinterpret_cast<const uint8_t*>(z.data()), z.size()}, 4112, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_InflateClientFrame);

}  // namespace
}  // namespace goim

BENCHMARK_MAIN();
