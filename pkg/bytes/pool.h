// bytes::Pool: fixed-size buffers carved from slabs, handed out from a free list (goim's
// pkg/bytes Pool). Grows by one slab when empty; never shrinks, so steady state allocates
// nothing. One pool per event loop. [owner thread only, except in_use()]
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace goim::bytes {

class Pool;

// One buffer of the pool. `next` links the free list while the buffer is free.
struct Buffer {
  uint8_t* data = nullptr;
  Buffer* next = nullptr;
  std::span<uint8_t> span(size_t size) const { return {data, size}; }
};

class Pool {
 public:
  // buf_size bytes per buffer, per_slab buffers allocated at a time.
  Pool(size_t buf_size, size_t per_slab);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Buffer* Get();
  void Put(Buffer* b);

  size_t buffer_size() const { return size_; }
  size_t slabs() const { return slabs_.size(); }
  size_t free_count() const { return free_count_; }
  // Buffers handed out and not returned. Written by the owner alone (a plain store, no locked
  // instruction), so a metrics scrape can read it from another thread. [thread-safe]
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  void Grow();

  struct Slab {
    std::unique_ptr<uint8_t[]> bytes;
    std::unique_ptr<Buffer[]> headers;
  };
  size_t size_;
  size_t per_slab_;
  Buffer* free_ = nullptr;
  size_t free_count_ = 0;
  std::atomic<size_t> in_use_{0};
  std::vector<Slab> slabs_;
};

}  // namespace goim::bytes
