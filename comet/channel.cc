#include "comet/channel.h"

#include <glog/logging.h>

#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/log/log.h"

namespace goim::comet {

Channel::Channel(Loop* loop, Transport t, tcp::socket sock, std::shared_ptr<asio::ssl::context> tls)
    : loop_(loop),
      transport_(t),
      state_(t == Transport::kTcp ? State::kHandshake : State::kUpgrade),
      sock_(std::move(sock)),
      replies_(static_cast<uint32_t>(loop->cfg().protocol.cliProto)) {
  boost::system::error_code ec;
  auto ep = sock_.remote_endpoint(ec);
  if (!ec) ip_ = ep.address().to_string();
  if (t == Transport::kWss)
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(sock_), *tls);
  Stats& st = Stats::Get();
  st.connections->Add(1);
  (t == Transport::kTcp ? st.tcp_connections : st.ws_connections)->Add(1);
}

Channel::~Channel() {
  if (rbuf_) loop_->PutReadBuffer(rbuf_);
  if (state_ != State::kClosed) {  // freed without Close (a loop torn down with channels in it)
    Stats& st = Stats::Get();
    st.connections->Sub(1);
    (transport_ == Transport::kTcp ? st.tcp_connections : st.ws_connections)->Sub(1);
  }
}

tcp::socket& Channel::raw() { return tls_ ? tls_->next_layer() : sock_; }

void Channel::Start() {
  deadline_ =
      loop_->timers().Add(loop_->cfg().protocol.handshakeTimeout, &Channel::OnDeadline, this);
  if (transport_ == Transport::kTcp)
    ReadNow();
  else
    StartUpgrade();
}

void Channel::OnDeadline(void* self) {
  auto* ch = static_cast<Channel*>(self);
  ch->deadline_ = time::TimerId{};
  bool ready = ch->state_ == State::kReady;
  VLOG(1) << "comet: " << (ready ? "heartbeat" : "handshake")
          << " timeout key=" << log::Printable(ch->key_) << " ip=" << ch->ip_;
  ch->Close(ready ? CloseReason::kHeartbeatTimeout : CloseReason::kHandshakeTimeout);
}

void Channel::OnSlow(void* self) {
  auto* ch = static_cast<Channel*>(self);
  ch->slow_timer_ = time::TimerId{};
  LOG_EVERY_T(WARNING, 1) << "comet: slow consumer closed key=" << log::Printable(ch->key_)
                          << " ip=" << ch->ip_ << " unsent="
                          << ch->queued_bytes_ + ch->pending_.size() - ch->pending_off_;
  ch->Close(CloseReason::kSlow);
}

void Channel::Close(CloseReason why) {
  if (state_ == State::kClosed) return;
  bool authed = state_ == State::kReady;
  state_ = State::kClosed;
  Stats& st = Stats::Get();
  st.closes[static_cast<int>(why)]->Inc();
  st.connections->Sub(1);
  (transport_ == Transport::kTcp ? st.tcp_connections : st.ws_connections)->Sub(1);
  loop_->timers().Del(deadline_);
  loop_->timers().Del(slow_timer_);
  Context& ctx = loop_->ctx();
  if (authed) {
    // A newer connection with the same key on this comet took the key over (and wrote its own
    // session): disconnecting would delete that one's session, which has the same key and server.
    bool owned = ctx.buckets.Del(key_, id_);
    ctx.buckets.DelIp(ip_);
    loop_->Leave(this);
    if (owned) ctx.logic->Disconnect(mid_, key_, ctx.server_id);
  }
  while (q_size_ > 0) {
    ReleaseItem(queue_[q_head_]);
    q_head_ = (q_head_ + 1) % q_cap_;
    --q_size_;
  }
  queue_.reset();
  replies_.Reset();
  replies_.Release();
  boost::system::error_code ec;
  raw().close(ec);  // outstanding I/O completes with operation_aborted
  loop_->Remove(this);
  MaybeFree();
}

void Channel::MaybeFree() {
  if (state_ != State::kClosed || reading_ || writing_ || freed_) return;
  freed_ = true;
  loop_->Retire(this);
}

bool Channel::Watching(int32_t op) const {
  for (int32_t w : watch_ops_) {
    if (w == op) return true;
    if (w > op) return false;
  }
  return false;
}

// --- the out queue -----------------------------------------------------------------------------

namespace {
size_t ItemBytes(const LoopMsg* m, const Reply* r) {
  return m ? m->data->frames.size() : r->head_len + r->body.size();
}
}  // namespace

bool Channel::Enqueue(Item it, size_t bytes) {
  if (!queue_) {
    q_cap_ = static_cast<uint32_t>(loop_->cfg().protocol.svrProto) + replies_.capacity() + 1;
    queue_ = std::make_unique<Item[]>(q_cap_);
    q_head_ = 0;
  }
  queue_[(q_head_ + q_size_) % q_cap_] = it;
  ++q_size_;
  queued_bytes_ += bytes;
  if (!writing_) loop_->MarkDirty(this);
  CheckSlow();
  return state_ != State::kClosed;
}

void Channel::ReleaseItem(const Item& it) {
  queued_bytes_ -= ItemBytes(it.msg, it.reply);
  if (it.msg) {
    --queued_pushes_;
    UnrefMsg(it.msg);
  } else {
    it.reply->body.clear();
    replies_.GetAdv();
  }
}

bool Channel::Push(LoopMsg* m) {
  if (state_ != State::kReady) return false;
  const uint32_t limit = static_cast<uint32_t>(loop_->cfg().protocol.svrProto);
  if (queued_pushes_ >= limit && !writing_) Flush();  // the socket may take them right now
  if (state_ != State::kReady) return false;
  if (queued_pushes_ >= limit) {
    Stats::Get().pushes_dropped->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: push dropped, connection queue full key="
                            << log::Printable(key_) << " ip=" << ip_
                            << " queued=" << queued_pushes_;
    return false;
  }
  ++m->refs;
  ++queued_pushes_;
  Stats::Get().pushes_queued->Inc();
  return Enqueue({m, nullptr}, m->data->frames.size());
}

void Channel::CheckSlow() {
  if (state_ == State::kClosed) return;
  size_t unsent = queued_bytes_ + (pending_.size() - pending_off_);
  time::Timer& t = loop_->timers();
  if (unsent > static_cast<size_t>(loop_->cfg().protocol.slowBytes)) {
    if (!t.Pending(slow_timer_)) {
      slow_timer_ = t.Add(loop_->cfg().protocol.slowTime, &Channel::OnSlow, this);
    }
  } else if (slow_timer_.valid()) {
    t.Del(slow_timer_);
  }
}

}  // namespace goim::comet
