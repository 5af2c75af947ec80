// A connection's life, top to bottom, as goim's ServeTCP / ServeWebsocket read: accepted and
// started with a handshake deadline; (WebSocket) upgraded; the auth frame taken to logic; once
// authenticated, registered in the bucket and the room with a heartbeat deadline, its frames
// handled as operations and pushes written to it; closed once, for one counted reason, after
// which it leaves everything and is freed when no I/O refers to it any more.
#include "comet/channel.h"

#include <glog/logging.h>

#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/log/log.h"
#include "pkg/websocket/frame.h"

namespace goim::comet {

Channel::Channel(Loop* loop, Transport t, tcp::socket sock, std::shared_ptr<asio::ssl::context> tls)
    : loop_(loop),
      transport_(t),
      state_(t == Transport::kTcp ? State::kHandshake : State::kUpgrade),
      sock_(std::move(sock)),
      ws_(static_cast<uint64_t>(loop->cfg().websocket.maxMessageSize)),
      replies_(static_cast<uint32_t>(loop->cfg().protocol.cliProto)),
      // Pushes are bounded by svrProto (plus history's one forced push) and replies by the ring:
      // the queue never holds more.
      out_(static_cast<uint32_t>(loop->cfg().protocol.svrProto) + replies_.capacity() + 2) {
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
  if (hist_) ReleaseHeld();
  if (state_ != State::kClosed) {  // freed without Close (a loop torn down with channels in it)
    Stats& st = Stats::Get();
    st.connections->Sub(1);
    (transport_ == Transport::kTcp ? st.tcp_connections : st.ws_connections)->Sub(1);
  }
}

tcp::socket& Channel::raw() { return tls_ ? tls_->next_layer() : sock_; }

// --- 1. start: the handshake deadline, then the upgrade (WebSocket) or the auth frame (TCP) ---

void Channel::Start() {
  deadline_ =
      loop_->timers().Add(loop_->cfg().protocol.handshakeTimeout, &Channel::OnDeadline, this);
  if (transport_ == Transport::kTcp)
    ReadNow();
  else
    StartUpgrade();
}

// --- 2. auth: the first op 7 frame goes to logic; reading waits for the answer ---------------

void Channel::StartAuth(protocol::Frame& f) {
  state_ = State::kAuthing;
  auth_seq_ = f.seq;
  auth_ver_ = f.ver;
  Loop* loop = loop_;
  uint64_t id = id_;
  Context& ctx = loop_->ctx();
  ctx.logic->Connect(
      ctx.server_id, cookie_, f.body,
      [loop, id](const grpc::Status& st, goim::logic::ConnectReply& reply) {
        asio::post(loop->io(), [loop, id, ok = st.ok(), err = st.error_message(),
                                reply = std::move(reply)]() mutable {
          Channel* ch = loop->Resolve(id);
          if (!ch) {
            // Gone while logic answered: undo the session logic just wrote.
            if (ok) loop->ctx().logic->Disconnect(reply.mid(), reply.key(), loop->ctx().server_id);
            return;
          }
          std::vector<int32_t> accepts(reply.accepts().begin(), reply.accepts().end());
          ch->OnAuth(ok, err, reply.mid(), std::move(*reply.mutable_key()),
                     std::move(*reply.mutable_roomid()), std::move(accepts), reply.heartbeat(),
                     reply.compress(), reply.has_history() ? &reply.history() : nullptr);
        });
      });
}

// --- 3. ready: registered in the bucket and the room, under the heartbeat deadline ---------

void Channel::OnAuth(bool ok, const std::string& err, int64_t mid, std::string key,
                     std::string room, std::vector<int32_t> accepts, int64_t heartbeat_ns,
                     const std::string& compress, const goim::logic::HistoryAsk* history) {
  if (state_ != State::kAuthing) return;
  Context& ctx = loop_->ctx();
  if (!ok) {
    Stats::Get().auth_failed->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: auth failed ip=" << ip_ << " error("
                            << log::Printable(err, 256) << ")";
    return Close(CloseReason::kAuthFailed);
  }
  Stats::Get().auth_ok->Inc();
  mid_ = mid;
  key_ = std::move(key);
  Watch(accepts);
  SetCompress(compress);
  if (history) {
    hist_ = std::make_unique<HistoryState>();
    hist_->ask = *history;
    enc_.seq = true;
  }
  heartbeat_ = heartbeat_ns > 0 ? time::Duration(std::chrono::nanoseconds(heartbeat_ns))
                                : std::chrono::minutes(8);
  state_ = State::kReady;
  if (uint64_t old = ctx.buckets.Put(key_, id_, mid_))
    ctx.loops[Loop::LoopOf(old)]->PostClose(old, CloseReason::kKicked);
  ctx.buckets.AddIp(ip_);
  loop_->Join(this, room);
  loop_->timers().Set(deadline_, heartbeat_);
  logic_hb_due_ = NextLogicRenewal();
  // Room history: the reply says where the connection is, and may wait for the history.
  if (hist_) return AuthWithHistory(room);
  // The auth reply takes the slot the auth frame reserved: op 8, empty body, seq echoed.
  if (!ReplyFrame(protocol::kOpAuthReply, auth_ver_, auth_seq_, std::string())) return;
  VLOG(1) << "comet: authed key=" << log::Printable(key_) << " mid=" << mid_
          << " room=" << log::Printable(room) << " ip=" << ip_;
  // Frames that arrived behind the auth frame, then the socket.
  Resume();
}

void Channel::SetCompress(const std::string& compress) {
  if (compress.empty()) return;
  if (compress == "zlib" || compress == "brotli") {
    enc_.variant = compress == "zlib" ? Variant::kZlib : Variant::kBrotli;
    return;
  }
  Stats::Get().compress_unknown->Inc();
  LOG_EVERY_T(WARNING, 1) << "comet: unknown compress, pushes stay uncompressed key="
                          << log::Printable(key_) << " ip=" << ip_
                          << " compress=" << log::Printable(compress, 32);
}

void Channel::Adopt(int64_t mid, const std::string& key, const std::string& room,
                    std::vector<int32_t> accepts, bool null_sink, const std::string& compress) {
  null_sink_ = null_sink;
  mid_ = mid;
  key_ = key;
  Watch(accepts);
  SetCompress(compress);
  state_ = State::kReady;
  heartbeat_ = std::chrono::hours(24);
  loop_->ctx().buckets.Put(key_, id_, mid_);
  loop_->Join(this, room);
}

// --- 4. the deadlines: no auth in time, no heartbeat in time, a consumer too slow ----------

void Channel::OnDeadline(void* self) {
  auto* ch = static_cast<Channel*>(self);
  ch->deadline_ = time::TimerId{};
  if (ch->state_ == State::kClosing) return ch->Close(ch->closing_);  // the Close frame stuck
  bool ready = ch->ready();
  VLOG(1) << "comet: " << (ready ? "heartbeat" : "handshake")
          << " timeout key=" << log::Printable(ch->key_) << " ip=" << ch->ip_;
  ch->Close(ready ? CloseReason::kHeartbeatTimeout : CloseReason::kHandshakeTimeout);
}

void Channel::OnSlow(void* self) {
  auto* ch = static_cast<Channel*>(self);
  ch->slow_timer_ = time::TimerId{};
  LOG_EVERY_T(WARNING, 1) << "comet: slow consumer closed key=" << log::Printable(ch->key_)
                          << " ip=" << ch->ip_ << " queued=" << ch->out_.pushes() << " unsent="
                          << ch->out_.bytes() + ch->pending_.size() - ch->pending_off_;
  ch->Close(CloseReason::kSlow);
}

// --- 5. close: once, for one reason (WebSocket: after a Close frame when RFC 6455 asks for one);
// freed when no I/O refers to the channel ----------------------------------------------------

void Channel::CloseWs(uint16_t code, CloseReason why) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  Reply* r;
  if (replies_.Set(&r) != ring::Error::kOk) return Close(why);  // no slot: just close
  r->head_len = 0;
  r->ws_opcode = websocket::kClose;
  r->body.clear();
  if (code != 0) r->body = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  replies_.SetAdv();
  if (ready()) Unregister();
  state_ = State::kClosing;
  closing_ = why;
  loop_->timers().Del(slow_timer_);
  loop_->timers().Set(deadline_, loop_->cfg().protocol.handshakeTimeout);
  Enqueue(WriteItem::Answer(r));
}

void Channel::Unregister() {
  Context& ctx = loop_->ctx();
  // A newer connection with the same key on this comet took the key over (and wrote its own
  // session): disconnecting would delete that one's session, which has the same key and server.
  bool owned = ctx.buckets.Del(key_, id_);
  ctx.buckets.DelIp(ip_);
  loop_->Leave(this);
  if (owned) ctx.logic->Disconnect(mid_, key_, ctx.server_id);
}

void Channel::Close(CloseReason why) {
  if (state_ == State::kClosed) return;
  if (ready()) Unregister();
  state_ = State::kClosed;
  if (hist_) ReleaseHeld();
  Stats& st = Stats::Get();
  st.closes[static_cast<int>(why)]->Inc();
  st.connections->Sub(1);
  (transport_ == Transport::kTcp ? st.tcp_connections : st.ws_connections)->Sub(1);
  loop_->timers().Del(deadline_);
  loop_->timers().Del(slow_timer_);
  while (!out_.empty()) ReleaseItem(out_.Pop());
  out_.Release();
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

}  // namespace goim::comet
