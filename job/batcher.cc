#include "job/batcher.h"

#include "pkg/protocol/frame.h"

namespace goim::job {

RoomBatchers::RoomBatchers(time::Timer& timer, int batch, time::Duration idle, WindowFn window,
                           FlushFn flush)
    : timer_(timer),
      batch_(batch),
      idle_(idle),
      window_(std::move(window)),
      flush_(std::move(flush)) {}

RoomBatchers::~RoomBatchers() {
  for (auto& [id, r] : rooms_) {
    timer_.Del(r->deadline);
    timer_.Del(r->idle);
  }
}

void RoomBatchers::Append(const std::string& room, int32_t op, const std::string& msg, Token t) {
  auto& slot = rooms_[room];
  if (!slot) {
    slot = std::make_unique<Room>();
    slot->owner = this;
    slot->batch.room = room;
  }
  Room* r = slot.get();
  timer_.Del(r->idle);
  if (r->batch.count == 0) {
    r->batch.first = timer_.Now();
    time::Duration w = window_ ? window_(room, r->last_flush) : time::Duration::zero();
    if (w <= time::Duration::zero()) {
      r->immediate = true;
      immediate_.push_back(room);
    } else {
      r->deadline = timer_.Add(w, &RoomBatchers::OnDeadline, r);
    }
  }
  protocol::AppendFrame(&r->batch.frames, 1, op, 0, msg);
  r->batch.count++;
  r->batch.tokens.push_back(t);
  ++buffered_;
  if (r->batch.count >= batch_) Flush(r);
}

void RoomBatchers::Flush(Room* r) {
  timer_.Del(r->deadline);
  r->immediate = false;
  if (r->batch.count == 0) return;
  Batch out;
  out.room = r->batch.room;
  std::swap(out.frames, r->batch.frames);
  std::swap(out.tokens, r->batch.tokens);
  out.count = r->batch.count;
  out.first = r->batch.first;
  buffered_ -= static_cast<size_t>(r->batch.count);
  r->batch.count = 0;
  r->last_flush = timer_.Now();
  r->idle = timer_.Add(idle_, &RoomBatchers::OnIdle, r);
  flush_(std::move(out));
}

void RoomBatchers::OnDeadline(void* p) {
  auto* r = static_cast<Room*>(p);
  r->deadline = time::TimerId{};
  r->owner->Flush(r);
}

void RoomBatchers::OnIdle(void* p) {
  auto* r = static_cast<Room*>(p);
  r->idle = time::TimerId{};
  if (r->batch.count > 0) return;  // busy again: kept
  RoomBatchers* self = r->owner;
  std::string key = r->batch.room;
  self->rooms_.erase(key);  // frees r
}

void RoomBatchers::FlushImmediate() {
  std::vector<std::string> rooms;
  rooms.swap(immediate_);
  for (const auto& id : rooms) {
    auto it = rooms_.find(id);
    if (it != rooms_.end() && it->second->immediate) Flush(it->second.get());
  }
}

void RoomBatchers::FlushAll() {
  for (auto& [id, r] : rooms_) {
    if (r->batch.count > 0) Flush(r.get());
  }
  immediate_.clear();
}

}  // namespace goim::job
