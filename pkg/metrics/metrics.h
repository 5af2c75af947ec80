// Counters and gauges, rendered in the Prometheus text format on each service's /metrics.
// Counter::Inc is one relaxed add on a per-thread cell (no shared cache line between event
// loops); reading sums the cells. Metrics are created at start-up and never destroyed.
// [thread-safe]
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace goim::metrics {

inline constexpr int kCells = 16;

class Counter {
 public:
  void Inc(uint64_t n = 1) { cells_[Cell()].v.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const;

 private:
  static int Cell();
  struct alignas(64) Slot {
    std::atomic<uint64_t> v{0};
  };
  Slot cells_[kCells];
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

class Registry {
 public:
  static Registry& Default();

  // name may carry labels: goim_comet_proto_errors_total{reason="header_len"}. Asking twice for
  // the same name returns the same metric (standalone runs several services in one process).
  Counter* NewCounter(const std::string& name, const std::string& help);
  Gauge* NewGauge(const std::string& name, const std::string& help);
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
