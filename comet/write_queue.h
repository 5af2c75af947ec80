// What a connection writes and the queue it waits in: PushData (a push, built once and shared by
// every receiver), LoopMsg (one loop's reference-counted handle on it), Reply (the answer to one
// client frame, kept in its client-ring slot until written) and WriteQueue, the connection's
// bounded FIFO of push references and replies. [loop thread only]
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "pkg/protocol/frame.h"

namespace goim::comet {

// A push as every receiver gets it: one or more complete goim frames back to back (an OpRaw
// body, or one frame). Built once per push, shared by all loops, never copied per receiver.
struct PushData {
  std::string frames;
  int32_t frame_count = 1;
};

// One loop's handle on a PushData, counted without atomics by the channels that queued it.
struct LoopMsg {
  std::shared_ptr<const PushData> data;
  uint32_t refs = 0;
};
// Drops one reference; the last one frees the handle. [loop thread only]
void UnrefMsg(LoopMsg* m);

// A reply to one client frame, kept in its ring slot until written.
struct Reply {
  uint8_t head[protocol::kRawHeaderSize + protocol::kHeartSize];
  uint8_t head_len = 0;
  uint8_t ws_opcode = 0;  // 0: a goim frame; else a WebSocket control frame whose payload is body
  std::string body;
};

// One queued write: a push reference or a reply slot.
struct WriteItem {
  LoopMsg* msg = nullptr;  // a push, or
  Reply* reply = nullptr;  // a reply
  size_t bytes() const {
    return msg ? msg->data->frames.size() : reply->head_len + reply->body.size();
  }
};

// A FIFO of at most `capacity` items that keeps count of the pushes and bytes in it. The channel
// bounds pushes (svrProto) and replies (its client ring) before adding, so the capacity is their
// sum and Add never finds the queue full. The slots are allocated at the first Add and freed by
// Release once the queue is empty, so an idle connection holds none.
class WriteQueue {
 public:
  explicit WriteQueue(uint32_t capacity) : cap_(capacity) {}

  // Appends it at the back. Precondition: size() < capacity().
  void Add(WriteItem it);
  // The i-th oldest item, i < size().
  const WriteItem& operator[](size_t i) const { return slots_[(head_ + i) % cap_]; }
  // Removes and returns the oldest item. Precondition: !empty().
  WriteItem Pop();
  // Frees the slots when the queue is empty.
  void Release();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint32_t capacity() const { return cap_; }
  uint32_t pushes() const { return pushes_; }  // items that are push references
  size_t bytes() const { return bytes_; }      // their bytes, as written on TCP
  bool allocated() const { return slots_ != nullptr; }

 private:
  std::unique_ptr<WriteItem[]> slots_;
  uint32_t cap_;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
  uint32_t pushes_ = 0;
  size_t bytes_ = 0;
};

}  // namespace goim::comet
