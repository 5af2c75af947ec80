// comet::Loop: one event loop of the comet and everything it owns: its channels (a slot table,
// addressed by ids carrying a generation), its rooms (intrusive member lists), its min-heap
// timer, its pool of read buffers, and its flush list. Other threads reach it only by posting
// (the Post* methods); nothing here takes a lock. [loop thread only, except Post*]
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "comet/channel.h"
#include "comet/context.h"
#include "pkg/bytes/pool.h"
#include "pkg/net/asio.h"
#include "pkg/time/loop_timer.h"

namespace goim::comet {

class Loop {
 public:
  Loop(int index, asio::io_context& io, Context& ctx);
  ~Loop();

  int index() const { return index_; }
  asio::io_context& io() { return io_; }
  Context& ctx() { return ctx_; }
  const Config& cfg() const { return ctx_.cfg; }

  // Accepts on this loop's listeners (one per bind address per loop, SO_REUSEPORT).
  void Accept(std::unique_ptr<tcp::acceptor> acc, Transport t,
              std::shared_ptr<asio::ssl::context> tls);
  void CloseAcceptors();

  // Channel table.
  void Add(Channel* ch);
  void Remove(Channel* ch);
  Channel* Resolve(uint64_t id) const;
  size_t channel_count() const { return live_; }

  // Rooms. Join("") leaves.
  void Join(Channel* ch, const std::string& room_id);
  void Leave(Channel* ch);
  Room* FindRoom(const std::string& id) const;

  // Timers (handshake, heartbeat, slow consumer, broadcast pacing); they wake the loop by
  // themselves, on the comet's clock.
  time::LoopTimer& timers() { return timer_; }

  // Read buffers come from a per-loop pool; goim_comet_read_buffers sums the loops' in_use() at
  // scrape time (nothing shared is touched per get/put).
  bytes::Buffer* GetReadBuffer();
  void PutReadBuffer(bytes::Buffer* b);
  size_t read_buffer_size() const { return read_pool_.buffer_size(); }
  std::vector<asio::const_buffer>& iov() { return iov_; }
  uint8_t* scratch(size_t n);

  // Schedules ch->Flush() after the work already queued on this loop (so pushes arriving
  // together leave in one write).
  void MarkDirty(Channel* ch);
  // Frees a closed channel after the current handler.
  void Retire(Channel* ch);

  // Cross-thread entry points.
  static uint64_t LoopOf(uint64_t id) { return id >> 56; }
  void PostPush(std::shared_ptr<const PushData> d, int32_t op, std::vector<uint64_t> ids);
  void PostRoom(std::shared_ptr<const PushData> d, std::string room);
  void PostBroadcast(std::shared_ptr<const PushData> d, int32_t op, int32_t speed);
  void PostClose(uint64_t id, CloseReason why);
  // Closes every channel (shutdown); done runs on this loop when they are all closed.
  void PostCloseAll(std::function<void()> done);

 private:
  struct Broadcast {
    LoopMsg* msg;
    int32_t op;
    double per_sec;  // 0: unpaced
    size_t cursor = 0;
    double budget = 0;
  };
  void DoAccept(size_t i);
  void FlushDirty();
  void Deliver(LoopMsg* m, Channel* ch, bool check_op, int32_t op);
  void Unref(LoopMsg* m);
  void RunBroadcasts();
  static void OnPace(void* self);

  int index_;
  asio::io_context& io_;
  Context& ctx_;
  time::LoopTimer timer_;
  bytes::Pool read_pool_;

  struct Listener {
    std::unique_ptr<tcp::acceptor> acc;
    Transport transport;
    std::shared_ptr<asio::ssl::context> tls;
  };
  std::vector<Listener> listeners_;

  std::vector<Channel*> slots_;
  std::vector<uint32_t> gens_;
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;

  std::vector<uint64_t> dirty_;
  bool flush_posted_ = false;
  std::vector<Channel*> retired_;
  bool retire_posted_ = false;

  std::deque<Broadcast> broadcasts_;
  time::TimerId pace_;
  bool pacing_ = false;

  std::vector<asio::const_buffer> iov_;
  std::vector<uint8_t> scratch_;
};

}  // namespace goim::comet
