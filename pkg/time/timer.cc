#include "pkg/time/timer.h"

namespace goim::time {

Timer::Timer(size_t reserve, const Clock& clock) : clock_(&clock) {
  entries_.reserve(reserve);
  heap_.reserve(reserve);
}

bool Timer::Live(TimerId id) const {
  return id.index < entries_.size() && entries_[id.index].gen == id.gen &&
         entries_[id.index].heap_pos != UINT32_MAX;
}

bool Timer::Pending(TimerId id) const { return Live(id); }

void Timer::Swap(uint32_t a, uint32_t b) {
  std::swap(heap_[a], heap_[b]);
  entries_[heap_[a]].heap_pos = a;
  entries_[heap_[b]].heap_pos = b;
}

void Timer::Up(uint32_t i) {
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!Less(i, parent)) break;
    Swap(i, parent);
    i = parent;
  }
}

void Timer::Down(uint32_t i) {
  uint32_t n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && Less(l, m)) m = l;
    if (r < n && Less(r, m)) m = r;
    if (m == i) break;
    Swap(i, m);
    i = m;
  }
}

TimerId Timer::Add(Duration d, Callback cb, void* arg) {
  uint32_t index;
  if (free_ != UINT32_MAX) {
    index = free_;
    free_ = entries_[index].next_free;
  } else {
    index = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[index];
  e.expire = Now() + d;
  e.cb = cb;
  e.arg = arg;
  e.next_free = UINT32_MAX;
  e.heap_pos = static_cast<uint32_t>(heap_.size());
  heap_.push_back(index);
  Up(e.heap_pos);
  if (e.heap_pos == 0) Earliest(e.expire);
  return TimerId{index, e.gen};
}

void Timer::Free(uint32_t index) {
  Entry& e = entries_[index];
  e.heap_pos = UINT32_MAX;
  e.cb = nullptr;
  e.arg = nullptr;
  ++e.gen;
  e.next_free = free_;
  free_ = index;
}

void Timer::RemoveAt(uint32_t pos) {
  uint32_t last = static_cast<uint32_t>(heap_.size()) - 1;
  uint32_t index = heap_[pos];
  if (pos != last) {
    Swap(pos, last);
    heap_.pop_back();
    Down(pos);
    Up(pos);
  } else {
    heap_.pop_back();
  }
  Free(index);
}

void Timer::Del(TimerId& id) {
  if (Live(id)) RemoveAt(entries_[id.index].heap_pos);
  id = TimerId{};
}

void Timer::Set(TimerId id, Duration d) {
  if (!Live(id)) return;
  Entry& e = entries_[id.index];
  e.expire = Now() + d;
  Down(e.heap_pos);
  Up(e.heap_pos);
  if (e.heap_pos == 0) Earliest(e.expire);
}

size_t Timer::Expire() {
  size_t ran = 0;
  TimePoint now = Now();
  while (!heap_.empty()) {
    Entry& top = entries_[heap_[0]];
    if (top.expire > now) break;
    Callback cb = top.cb;
    void* arg = top.arg;
    RemoveAt(0);  // before the callback, which may Add/Del/Set
    cb(arg);
    ++ran;
  }
  return ran;
}

std::optional<TimePoint> Timer::Next() const {
  if (heap_.empty()) return std::nullopt;
  return entries_[heap_[0]].expire;
}

}  // namespace goim::time
