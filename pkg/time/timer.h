// time::Timer: goim's min-heap timer. Entries live in a slab with a free list (no allocation per
// Add in steady state); the heap orders entry indexes by expiry. Add, Del and Set are O(log n).
// The clock is injectable, so tests drive time without sleeping. Expire() runs what is due; an
// event loop uses a LoopTimer (loop_timer.h), which calls it by itself. [loop thread only]
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "pkg/time/clock.h"

namespace goim::time {

// Identifies an entry; carries a generation so a stale id never touches a reused entry.
struct TimerId {
  uint32_t index = UINT32_MAX;
  uint32_t gen = 0;
  bool valid() const { return index != UINT32_MAX; }
};

class Timer {
 public:
  using Callback = void (*)(void* arg);

  explicit Timer(size_t reserve = 1024, const Clock& clock = SystemClock());
  virtual ~Timer() = default;

  TimePoint Now() const { return clock_->Now(); }

  TimerId Add(Duration d, Callback cb, void* arg);
  // Removes the entry; a no-op for an expired or already deleted id.
  void Del(TimerId& id);
  // Moves the entry's expiry to now + d (goim's Set = Del + Add, here one sift).
  void Set(TimerId id, Duration d);
  bool Pending(TimerId id) const;

  // Runs the callbacks of every entry due at Now(), earliest first; returns how many ran.
  // A callback may Add, Del or Set freely.
  size_t Expire();
  // The earliest expiry, if any.
  std::optional<TimePoint> Next() const;
  size_t size() const { return heap_.size(); }

 protected:
  // An Add or Set just made this entry's expiry the earliest.
  virtual void Earliest(TimePoint when) {}

 private:
  struct Entry {
    TimePoint expire;
    Callback cb = nullptr;
    void* arg = nullptr;
    uint32_t heap_pos = UINT32_MAX;  // UINT32_MAX: free
    uint32_t gen = 0;
    uint32_t next_free = UINT32_MAX;
  };
  bool Live(TimerId id) const;
  bool Less(uint32_t a, uint32_t b) const {
    return entries_[heap_[a]].expire < entries_[heap_[b]].expire;
  }
  void Swap(uint32_t a, uint32_t b);
  void Up(uint32_t i);
  void Down(uint32_t i);
  void RemoveAt(uint32_t pos);
  void Free(uint32_t index);

  const Clock* clock_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> heap_;
  uint32_t free_ = UINT32_MAX;
};

}  // namespace goim::time
