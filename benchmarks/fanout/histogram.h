// A log-linear latency histogram (64 sub-buckets per power of two of microseconds, so about 1.5%
// resolution): add, merge, percentiles. Plain data, so workers can ship it through a pipe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace goim::bench {

class Histogram {
 public:
  static constexpr int kSub = 64;
  static constexpr int kBuckets = 40 * kSub;

  void Add(int64_t us) {
    if (us < 0) us = 0;
    counts_[Index(us)]++;
    ++n_;
    if (us > max_) max_ = us;
  }
  void Merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    n_ += o.n_;
    if (o.max_ > max_) max_ = o.max_;
  }
  int64_t count() const { return n_; }
  int64_t max() const { return max_; }
  // The value (us) at quantile q in [0, 1].
  int64_t Percentile(double q) const {
    if (n_ == 0) return 0;
    int64_t want = static_cast<int64_t>(q * static_cast<double>(n_ - 1)) + 1, seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= want) return Upper(i);
    }
    return max_;
  }
  std::string Serialize() const;
  bool Deserialize(const std::string& s);

 private:
  static int Index(int64_t us) {
    if (us < kSub) return static_cast<int>(us);
    int e = 63 - __builtin_clzll(static_cast<uint64_t>(us));  // us >= 64: e >= 6
    int shift = e - 6;
    int sub = static_cast<int>(us >> shift) - kSub;  // 0..63
    int idx = (shift + 1) * kSub + sub;
    return idx < kBuckets ? idx : kBuckets - 1;
  }
  static int64_t Upper(int i) {
    if (i < kSub) return i;
    int shift = i / kSub - 1, sub = i % kSub;
    return ((static_cast<int64_t>(kSub + sub) + 1) << shift) - 1;
  }
  std::array<int64_t, kBuckets> counts_{};
  int64_t n_ = 0;
  int64_t max_ = 0;
};

}  // namespace goim::bench
