// Comet fan-out: one BroadcastRoom (a PushData posted to every loop) delivered to 10,000
// channels in one room across 2 loops, as the gRPC handler does it: walk the room, queue a shared
// reference on each channel, flush each channel with one gather-write.
// Each call is a new push of 100-byte JSON danmaku; zlib 1: the channels asked for zlib, so each
// push is compressed once (by the first loop to reach it) and every channel is sent the same
// compressed frame. sink 0 (in memory): the write is counted as done without a syscall: the
// comet's own cost per delivery. sink 1: a real write. The channels' sockets are dups of
// 64 Unix stream socket pairs whose other ends one thread drains (10,000 real connections would
// need 20,000 descriptors here), so each delivery costs one real write syscall, a cheaper one than
// a TCP write over loopback. Reported: time per BroadcastRoom call over 10,000 channels;
// items_per_second = channel writes/s (each carries `frames` deliveries).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <future>
#include <thread>

#include <benchmark/benchmark.h>

#include "benchmarks/lib/payload.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/protocol/frame.h"

namespace goim::comet {
namespace {

class FanOut {
 public:
  FanOut(int channels, int loops, int frames, bool real_sockets, bool zlib) : real_(real_sockets) {
    cfg_.protocol.loops = loops;
    cfg_.protocol.svrProto = 64;
    ctx_ = std::make_unique<Context>(cfg_);
    for (auto& p : pairs_) {
      if (::socketpair(AF_UNIX, SOCK_STREAM, 0, p.data()) != 0) std::abort();
    }
    drain_ = std::thread([this] {
      std::vector<pollfd> fds;
      for (auto& p : pairs_) fds.push_back({p[1], POLLIN, 0});
      std::vector<char> buf(1 << 20);
      while (!stop_) {
        if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
        for (auto& f : fds) {
          if (!(f.revents & POLLIN)) continue;
          ssize_t n = ::read(f.fd, buf.data(), buf.size());
          if (n > 0) drained_ += static_cast<uint64_t>(n);
        }
      }
    });
    for (int i = 0; i < loops; ++i) {
      ios_.push_back(std::make_unique<asio::io_context>(1));
      loops_.push_back(std::make_unique<Loop>(i, *ios_.back(), *ctx_));
      ctx_->loops.push_back(loops_.back().get());
    }
    for (int i = 0; i < channels; ++i) {
      Loop& l = *loops_[static_cast<size_t>(i % loops)];
      tcp::socket s(l.io());
      s.assign(tcp::v4(), ::dup(pairs_[static_cast<size_t>(i) % pairs_.size()][0]));
      s.non_blocking(true);
      auto* ch = new Channel(&l, Transport::kTcp, std::move(s), nullptr);
      l.Add(ch);
      ch->Adopt(i, "k" + std::to_string(i), "live://bench", {1000}, !real_sockets,
                zlib ? "zlib" : "");
    }
    for (int f = 0; f < frames; ++f)
      protocol::AppendFrame(&batch_, 1, 1000, 0, bench::Body(f, 1733000000000000000, 100, true));
    frames_ = frames;
    for (auto& io : ios_) {
      threads_.emplace_back([io = io.get()] {
        auto g = asio::make_work_guard(*io);
        io->run();
      });
    }
  }
  ~FanOut() {
    for (auto& io : ios_) io->stop();
    for (auto& t : threads_) t.join();
    loops_.clear();
    stop_ = true;
    drain_.join();
    for (auto& p : pairs_) {
      ::close(p[0]);
      ::close(p[1]);
    }
  }
  // One BroadcastRoom, waited for until every loop has flushed it.
  void Broadcast() {
    std::vector<std::future<void>> done;
    auto data = std::make_shared<const PushData>(batch_, frames_);  // a new push: compressed anew
    for (auto& l : loops_) {
      l->PostRoom(data, "live://bench");
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      // Posted after the room walk and its flush pass: runs once those are done.
      asio::post(l->io(), [p, io = &l->io()] { asio::post(*io, [p] { p->set_value(); }); });
    }
    for (auto& d : done) d.wait();
    // Every byte out of the channels and through the sockets.
    while (real_ && drained_.load() < Stats::Get().bytes_written->Value() - base_)
      std::this_thread::yield();
  }
  void Baseline() { base_ = Stats::Get().bytes_written->Value() - drained_.load(); }

 private:
  Config cfg_;
  std::unique_ptr<Context> ctx_;
  std::array<std::array<int, 2>, 64> pairs_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> drained_{0};
  uint64_t base_ = 0;
  bool real_;
  std::thread drain_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::string batch_;
  int frames_ = 1;
};

void BM_BroadcastRoomFanOut(benchmark::State& state) {
  const int channels = static_cast<int>(state.range(0)), frames = static_cast<int>(state.range(1));
  FanOut f(channels, 2, frames, state.range(2) != 0, state.range(3) != 0);
  f.Baseline();
  uint64_t writes0 = Stats::Get().writes->Value();
  for (auto _ : state) f.Broadcast();
  state.SetItemsProcessed(state.iterations() * channels);
  state.counters["writes_per_channel"] =
      benchmark::Counter(static_cast<double>(Stats::Get().writes->Value() - writes0) /
                         static_cast<double>(state.iterations() * channels));
  state.counters["frames_per_write"] = frames;
}
BENCHMARK(BM_BroadcastRoomFanOut)
    ->ArgNames({"channels", "frames", "sink", "zlib"})
    ->Args({10000, 1, 0, 0})
    ->Args({10000, 20, 0, 0})
    ->Args({10000, 20, 0, 1})
    ->Args({10000, 1, 1, 0})
    ->Args({10000, 20, 1, 0})
    ->Args({10000, 20, 1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace goim::comet

BENCHMARK_MAIN();
