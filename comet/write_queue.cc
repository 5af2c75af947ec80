#include "comet/write_queue.h"

#include <glog/logging.h>

namespace goim::comet {

void WriteQueue::Add(WriteItem it) {
  DCHECK_LT(size_, cap_) << "the channel bounds pushes and replies before adding";
  if (!slots_) {
    slots_ = std::make_unique<WriteItem[]>(cap_);
    head_ = 0;
  }
  slots_[(head_ + size_) % cap_] = it;
  ++size_;
  if (it.msg) ++pushes_;
  bytes_ += it.bytes();
}

WriteItem WriteQueue::Pop() {
  DCHECK_GT(size_, 0u);
  WriteItem it = slots_[head_];
  head_ = (head_ + 1) % cap_;
  --size_;
  if (it.msg) --pushes_;
  bytes_ -= it.bytes();
  return it;
}

void WriteQueue::Release() {
  if (size_ != 0) return;
  slots_.reset();
  head_ = 0;
}

}  // namespace goim::comet
