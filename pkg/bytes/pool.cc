#include "pkg/bytes/pool.h"

namespace goim::bytes {

Pool::Pool(size_t buf_size, size_t per_slab)
    : size_(buf_size == 0 ? 1 : buf_size), per_slab_(per_slab == 0 ? 1 : per_slab) {}

void Pool::Grow() {
  Slab slab;
  // Not value-initialised: a buffer's bytes are written before they are read.
  slab.bytes.reset(new uint8_t[size_ * per_slab_]);
  slab.headers = std::make_unique<Buffer[]>(per_slab_);
  for (size_t i = 0; i < per_slab_; ++i) {
    Buffer* b = &slab.headers[i];
    b->data = slab.bytes.get() + i * size_;
    b->next = free_;
    free_ = b;
  }
  free_count_ += per_slab_;
  slabs_.push_back(std::move(slab));
}

Buffer* Pool::Get() {
  if (free_ == nullptr) Grow();
  Buffer* b = free_;
  free_ = b->next;
  b->next = nullptr;
  --free_count_;
  in_use_.store(in_use_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return b;
}

void Pool::Put(Buffer* b) {
  b->next = free_;
  free_ = b;
  ++free_count_;
  in_use_.store(in_use_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

}  // namespace goim::bytes
