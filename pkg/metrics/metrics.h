// Counters and gauges, rendered in the Prometheus text format on each service's /metrics.
// Counter::Inc is one relaxed add on the calling thread's own cell (no cache line shared between
// event loops, however many threads there are); reading sums the cells. A gauge that every loop
// would bump on its hot path is a SumGauge instead: each loop keeps its own value and the scrape
// adds them up. Metrics are created at start-up and never destroyed. [thread-safe]
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace goim::metrics {

namespace detail {
// This thread's index, -1 until ThreadIndex() takes one. Constant-initialised, so reading it is
// one thread-local load (Counter::Inc's hot path).
constinit inline thread_local int thread_index = -1;
}  // namespace detail

// A small number per live thread, reused after the thread exits (so cells stay per thread and
// dense); the first call on a thread takes it.
int ThreadIndex();

class Counter {
 public:
  Counter() = default;
  ~Counter();
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Inc(uint64_t n = 1) {
    int i = detail::thread_index;
    std::atomic<uint64_t>& cell = i >= 0 && i < kPageCells ? first_[i].v : Cell();
    cell.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

  // Cells in the counter itself; threads past them get pages allocated on first use. Past
  // kPageCells * (kPages + 1) live threads, cells are shared (still exact, only contended).
  static constexpr int kPageCells = 16;
  static constexpr int kPages = 63;

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> v{0};
  };
  struct Page {
    Slot cells[kPageCells];
  };
  std::atomic<uint64_t>& Cell();
  std::atomic<uint64_t>& Paged(int index);

  Slot first_[kPageCells];
  std::atomic<Page*> pages_[kPages] = {};
};

class Gauge {
 public:
  void Add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  void Sub(int64_t n) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void Set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// A gauge computed at scrape time as the sum of its sources' values, one source per owner (an
// event loop, which updates only a value of its own). Attach and Detach around the owner's life.
class SumGauge {
 public:
  void Attach(const void* owner, std::function<int64_t()> value);
  void Detach(const void* owner);
  int64_t Value() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<const void*, std::function<int64_t()>>> sources_;
};

class Registry {
 public:
  static Registry& Default();

  // name may carry labels: goim_comet_proto_errors_total{reason="header_len"}. Asking twice for
  // the same name returns the same metric (standalone runs several services in one process).
  Counter* NewCounter(const std::string& name, const std::string& help);
  Gauge* NewGauge(const std::string& name, const std::string& help);
  SumGauge* NewSumGauge(const std::string& name, const std::string& help);
  // A gauge computed at scrape time.
  void NewCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> fn);

  std::string Render() const;
  // The current value of a metric by full name (tests, load tools); nullopt-like -1 when absent.
  double Get(const std::string& name) const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    bool counter = false;
    std::unique_ptr<Counter> c;
    std::unique_ptr<Gauge> g;
    std::unique_ptr<SumGauge> s;
    std::function<double()> fn;
    double Value() const;
  };
  Entry* Find(const std::string& name) const;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Parses a Prometheus text page into name -> value (for load tools and tests).
std::vector<std::pair<std::string, double>> ParseText(const std::string& text);

}  // namespace goim::metrics
