#include "comet/loop.h"

#include <glog/logging.h>

#include "comet/stats.h"
#include "pkg/metrics/metrics.h"

namespace goim::comet {

namespace {
constexpr auto kPaceTick = std::chrono::milliseconds(10);
}

Loop::Loop(int index, asio::io_context& io, Context& ctx)
    : index_(index),
      io_(io),
      ctx_(ctx),
      timer_(io, *ctx.clock, 4096),
      read_pool_(static_cast<size_t>(ctx.cfg.tcp.readBufSize), 64) {
  scratch_.resize(static_cast<size_t>(ctx.cfg.protocol.writeBatch) * 32 + 64);
  iov_.reserve(static_cast<size_t>(ctx.cfg.protocol.writeBatch) * 3 + 4);
  Stats::Get().read_buffers->Attach(this,
                                    [this] { return static_cast<int64_t>(read_pool_.in_use()); });
}

Loop::~Loop() {
  Stats::Get().read_buffers->Detach(this);
  // Shutdown leftovers (the loop thread has stopped): free what is still here.
  for (Channel* ch : slots_) delete ch;
  for (Channel* ch : retired_) delete ch;
  for (auto& b : broadcasts_) UnrefMsg(b.msg);
}

uint8_t* Loop::scratch(size_t n) {
  if (scratch_.size() < n) scratch_.resize(n);
  return scratch_.data();
}

// --- accepting -----------------------------------------------------------------------------

void Loop::Accept(std::unique_ptr<tcp::acceptor> acc, Transport t,
                  std::shared_ptr<asio::ssl::context> tls) {
  listeners_.push_back({std::move(acc), t, std::move(tls)});
  size_t i = listeners_.size() - 1;
  asio::post(io_, [this, i] { DoAccept(i); });
}

void Loop::CloseAcceptors() {
  asio::post(io_, [this] {
    for (auto& l : listeners_) {
      boost::system::error_code ec;
      l.acc->close(ec);
    }
  });
}

void Loop::DoAccept(size_t i) {
  Listener& l = listeners_[i];
  if (!l.acc->is_open()) return;
  l.acc->async_accept([this, i](boost::system::error_code ec, tcp::socket sock) {
    Listener& l = listeners_[i];
    if (ec == asio::error::operation_aborted || !l.acc->is_open()) return;
    if (ec) {
      // Out of descriptors (EMFILE) and the like: log, back off briefly, keep accepting.
      LOG_EVERY_T(WARNING, 1) << "comet: accept error(" << ec.message() << ")";
      auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
      retry->async_wait([this, i, retry](boost::system::error_code) { DoAccept(i); });
      return;
    }
    if (!ctx_.admitting.load(std::memory_order_relaxed)) {
      static metrics::Counter* refused = metrics::Registry::Default().NewCounter(
          "goim_comet_refused_unregistered_total",
          "Connections refused at accept while this comet's membership registration had lapsed");
      refused->Inc();
      LOG_EVERY_T(WARNING, 5) << "comet: refusing new connections, not registered in the cluster";
      boost::system::error_code ignored;
      sock.close(ignored);
      return DoAccept(i);
    }
    const Config& c = ctx_.cfg;
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);  // as Go's net package does by default
    if (l.transport != Transport::kWss) {
      if (c.tcp.keepalive) sock.set_option(asio::socket_base::keep_alive(true), ignored);
      if (c.tcp.sndbuf > 0)
        sock.set_option(asio::socket_base::send_buffer_size(c.tcp.sndbuf), ignored);
      if (c.tcp.rcvbuf > 0)
        sock.set_option(asio::socket_base::receive_buffer_size(c.tcp.rcvbuf), ignored);
    }
    sock.non_blocking(true, ignored);
    Stats::Get().accepted->Inc();
    auto* ch = new Channel(this, l.transport, std::move(sock), l.tls);
    Add(ch);
    ch->Start();
    DoAccept(i);
  });
}

// --- channel table ---------------------------------------------------------------------------

void Loop::Add(Channel* ch) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(nullptr);
    gens_.push_back(1);
  }
  slots_[slot] = ch;
  ch->set_id(uint64_t(index_) << 56 | uint64_t(gens_[slot] & 0xFFFFFF) << 32 | slot);
  ++live_;
}

void Loop::Remove(Channel* ch) {
  uint32_t slot = static_cast<uint32_t>(ch->id() & 0xFFFFFFFF);
  if (slot >= slots_.size() || slots_[slot] != ch) return;
  slots_[slot] = nullptr;
  gens_[slot] = (gens_[slot] + 1) & 0xFFFFFF;
  if (gens_[slot] == 0) gens_[slot] = 1;
  free_slots_.push_back(slot);
  --live_;
}

Channel* Loop::Resolve(uint64_t id) const {
  if (LoopOf(id) != static_cast<uint64_t>(index_)) return nullptr;
  uint32_t slot = static_cast<uint32_t>(id & 0xFFFFFFFF);
  uint32_t gen = static_cast<uint32_t>(id >> 32) & 0xFFFFFF;
  if (slot >= slots_.size() || gens_[slot] != gen) return nullptr;
  return slots_[slot];
}

void Loop::Retire(Channel* ch) {
  retired_.push_back(ch);
  if (retire_posted_) return;
  retire_posted_ = true;
  asio::post(io_, [this] {
    retire_posted_ = false;
    std::vector<Channel*> doomed;
    doomed.swap(retired_);
    for (Channel* c : doomed) delete c;
  });
}

// --- rooms -----------------------------------------------------------------------------------

Room* Loop::FindRoom(const std::string& id) const {
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : it->second.get();
}

void Loop::Join(Channel* ch, const std::string& room_id) {
  if (ch->room_ && ch->room_->stats->id == room_id) return;  // same room: nothing (goim #306)
  Leave(ch);
  if (room_id.empty()) return;
  auto& slot = rooms_[room_id];
  if (!slot) {
    slot = std::make_unique<Room>();
    slot->stats = ctx_.rooms.Acquire(room_id, index_);
  }
  Room* r = slot.get();
  ch->room_prev = nullptr;
  ch->room_next = r->head;
  if (r->head) r->head->room_prev = ch;
  r->head = ch;
  r->online++;
  r->stats->online.fetch_add(1, std::memory_order_relaxed);
  ch->room_ = r;
}

void Loop::Leave(Channel* ch) {
  Room* r = ch->room_;
  if (!r) return;
  if (ch->room_prev)
    ch->room_prev->room_next = ch->room_next;
  else
    r->head = ch->room_next;
  if (ch->room_next) ch->room_next->room_prev = ch->room_prev;
  ch->room_prev = ch->room_next = nullptr;
  ch->room_ = nullptr;
  r->stats->online.fetch_sub(1, std::memory_order_relaxed);
  if (--r->online > 0) return;
  RoomStats* stats = r->stats;
  std::string id = stats->id;
  rooms_.erase(id);
  ctx_.rooms.Release(stats, index_);
}

// --- flushing --------------------------------------------------------------------------------

void Loop::MarkDirty(Channel* ch) {
  if (ch->dirty) return;
  ch->dirty = true;
  dirty_.push_back(ch->id());
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(io_, [this] { FlushDirty(); });
}

void Loop::FlushDirty() {
  flush_posted_ = false;
  std::vector<uint64_t> ids;
  ids.swap(dirty_);
  for (uint64_t id : ids) {
    Channel* ch = Resolve(id);
    if (!ch || !ch->dirty) continue;
    ch->dirty = false;
    ch->Flush();
  }
  if (dirty_.empty()) {
    ids.clear();
    dirty_.swap(ids);  // keep the capacity
  }
}

// --- deliveries ------------------------------------------------------------------------------

void Loop::Deliver(LoopMsg* m, Channel* ch, bool check_op, int32_t op) {
  if (!ch->ready()) return;
  if (check_op && !ch->Watching(op)) return;
  ch->Push(m);
}

void Loop::Unref(LoopMsg* m) { UnrefMsg(m); }

void Loop::PostPush(std::shared_ptr<const PushData> d, int32_t op, std::vector<uint64_t> ids) {
  asio::post(io_, [this, d = std::move(d), op, ids = std::move(ids)]() mutable {
    auto* m = new LoopMsg(std::move(d));  // held during the walk
    for (uint64_t id : ids) {
      if (Channel* ch = Resolve(id)) Deliver(m, ch, true, op);
    }
    Unref(m);
  });
}

void Loop::PostRoom(std::shared_ptr<const PushData> d, std::string room) {
  asio::post(io_, [this, d = std::move(d), room = std::move(room)]() mutable {
    Room* r = FindRoom(room);
    if (!r) return;
    auto* m = new LoopMsg(std::move(d));
    // goim pushes room messages to every member, whatever it watches.
    for (Channel* ch = r->head; ch;) {
      Channel* next = ch->room_next;  // ch may leave the room if the push closes it
      Deliver(m, ch, false, 0);
      ch = next;
    }
    Unref(m);
  });
}

void Loop::PostBroadcast(std::shared_ptr<const PushData> d, int32_t op, int32_t speed) {
  asio::post(io_, [this, d = std::move(d), op, speed]() mutable {
    double per_sec = 0;
    if (speed > 0)
      per_sec = std::max(1.0, static_cast<double>(speed) / static_cast<double>(ctx_.loops.size()));
    broadcasts_.push_back({new LoopMsg(std::move(d)), op, per_sec});
    if (!pacing_) RunBroadcasts();
  });
}

// Broadcasts run one at a time per loop, in order, so a channel sees them in the order they came.
// A paced one delivers per_sec channels a second, a little every tick (goim sleeps whole seconds
// between buckets).
void Loop::RunBroadcasts() {
  pacing_ = false;
  while (!broadcasts_.empty()) {
    Broadcast& b = broadcasts_.front();
    size_t scanned = 0;
    if (b.per_sec > 0) b.budget += b.per_sec * std::chrono::duration<double>(kPaceTick).count();
    while (b.cursor < slots_.size()) {
      if (b.per_sec > 0 && b.budget < 1) break;
      if (++scanned > 65536) break;  // yield to other work on very large loops
      Channel* ch = slots_[b.cursor++];
      if (!ch || !ch->ready() || !ch->Watching(b.op)) continue;
      ch->Push(b.msg);
      if (b.per_sec > 0) b.budget -= 1;
    }
    if (b.cursor >= slots_.size()) {
      Unref(b.msg);
      broadcasts_.pop_front();
      continue;
    }
    pacing_ = true;
    if (b.per_sec > 0 && b.budget < 1) {
      pace_ = timer_.Add(kPaceTick, &Loop::OnPace, this);
    } else {
      asio::post(io_, [this] { RunBroadcasts(); });
    }
    return;
  }
}

void Loop::OnPace(void* self) {
  auto* loop = static_cast<Loop*>(self);
  loop->pace_ = time::TimerId{};
  loop->RunBroadcasts();
}

void Loop::PostClose(uint64_t id, CloseReason why) {
  asio::post(io_, [this, id, why] {
    if (Channel* ch = Resolve(id)) ch->Close(why);
  });
}

void Loop::PostCloseAll(std::function<void()> done) {
  asio::post(io_, [this, done = std::move(done)] {
    for (Channel* ch : std::vector<Channel*>(slots_)) {
      if (ch) ch->Close(CloseReason::kShutdown);
    }
    timer_.Del(pace_);
    for (auto& b : broadcasts_) Unref(b.msg);
    broadcasts_.clear();
    if (done) done();
  });
}

bytes::Buffer* Loop::GetReadBuffer() { return read_pool_.Get(); }

void Loop::PutReadBuffer(bytes::Buffer* b) { read_pool_.Put(b); }

}  // namespace goim::comet
