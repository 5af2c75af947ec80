// ring::Ring<T>: goim's power-of-two ring of Proto slots (comet's per-connection cliProto ring).
// Set/SetAdv produce a slot, Get/GetAdv consume one, in order. The size is rounded up to a power
// of two (goim: cliProto 5 -> 8). Slots are allocated at the first Set and can be released while
// the ring is empty (Release), so an idle connection holds none. [single thread]
#pragma once

#include <cstdint>
#include <memory>

namespace goim::ring {

enum class Error : uint8_t { kOk = 0, kFull, kEmpty };

inline uint32_t RoundUpPow2(uint32_t n) {
  if (n <= 1) return 1;
  --n;
  n |= n >> 1;
  n |= n >> 2;
  n |= n >> 4;
  n |= n >> 8;
  n |= n >> 16;
  return n + 1;
}

template <class T>
class Ring {
 public:
  explicit Ring(uint32_t n = 8) { Init(n); }

  void Init(uint32_t n) {
    num_ = RoundUpPow2(n);
    mask_ = num_ - 1;
    slots_.reset();
    rp_ = wp_ = 0;
  }

  // The oldest produced slot, not yet consumed.
  Error Get(T** out) {
    if (rp_ == wp_) return Error::kEmpty;
    *out = &slots_[rp_ & mask_];
    return Error::kOk;
  }
  void GetAdv() { ++rp_; }

  // The next free slot to fill; SetAdv publishes it.
  Error Set(T** out) {
    if (wp_ - rp_ >= num_) return Error::kFull;
    if (!slots_) slots_ = std::make_unique<T[]>(num_);
    *out = &slots_[wp_ & mask_];
    return Error::kOk;
  }
  void SetAdv() { ++wp_; }

  void Reset() { rp_ = wp_ = 0; }
  // Frees the slots when nothing is in the ring; the next Set allocates them again.
  void Release() {
    if (rp_ == wp_) {
      slots_.reset();
      rp_ = wp_ = 0;
    }
  }

  uint32_t size() const { return wp_ - rp_; }
  uint32_t capacity() const { return num_; }
  bool empty() const { return rp_ == wp_; }
  bool allocated() const { return slots_ != nullptr; }

 private:
  std::unique_ptr<T[]> slots_;
  uint32_t rp_ = 0;
  uint32_t wp_ = 0;
  uint32_t num_ = 1;
  uint32_t mask_ = 0;
};

}  // namespace goim::ring
