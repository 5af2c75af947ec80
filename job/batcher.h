// job::RoomBatchers: one ordered batcher per room key (goim's per-room aggregator). Each message
// is appended as a complete goim frame (ver 1, seq 0) to the room's buffer; the buffer is flushed
// as one OpRaw when it holds `batch` messages or when the room's window (given by WindowFn when
// the batch starts) has passed since its first unflushed message. A room whose window is 0 is
// flushed at the end of the current burst of messages (so messages that arrive together still share
// one flush). An emptied batcher is released after `idle`; everything runs on the job's loop
// thread, so a message that arrives as the batcher is released simply starts a new one (goim #383
// cannot happen). [job loop thread only]
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pkg/time/timer.h"

namespace goim::job {

// One consumed message: what the tracker needs to mark it done.
struct Token {
  int32_t partition = 0;
  int64_t offset = 0;
};

struct Batch {
  std::string room;
  std::string frames;  // complete goim frames back to back: the OpRaw body
  int32_t count = 0;
  std::vector<Token> tokens;
  time::TimePoint first;  // when the first message was appended
};

class RoomBatchers {
 public:
  using FlushFn = std::function<void(Batch&&)>;
  // How long the room's new batch may wait; last_flush is when the room last flushed (the
  // epoch when it never did).
  using WindowFn =
      std::function<time::Duration(const std::string& room, time::TimePoint last_flush)>;

  RoomBatchers(time::Timer& timer, int batch, time::Duration idle, WindowFn window, FlushFn flush);
  ~RoomBatchers();

  void Append(const std::string& room, int32_t op, const std::string& msg, Token t);
  // Flushes the rooms waiting for the end of the burst (window 0).
  void FlushImmediate();
  void FlushAll();

  size_t rooms() const { return rooms_.size(); }
  size_t buffered() const { return buffered_; }

 private:
  struct Room {
    RoomBatchers* owner;
    Batch batch;
    time::TimerId deadline;
    time::TimerId idle;
    bool immediate = false;
    time::TimePoint last_flush{};
  };
  static void OnDeadline(void* r);
  static void OnIdle(void* r);
  void Flush(Room* r);

  time::Timer& timer_;
  int batch_;
  time::Duration idle_;
  WindowFn window_;
  FlushFn flush_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  std::vector<std::string> immediate_;
  size_t buffered_ = 0;
};

}  // namespace goim::job
