// goim's per-frame operations (goim internal/comet operation.go and the serve loops): auth,
// heartbeat, change room, sub/unsub, and everything else handed to logic and echoed back.
#include <algorithm>
#include <charconv>
#include <random>

#include <glog/logging.h>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/json/json.h"
#include "pkg/log/log.h"
#include "pkg/protocol/binary.h"

namespace goim::comet {

namespace {
time::Duration RandomBetween(time::Duration lo, time::Duration hi) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (hi <= lo) return lo;
  std::uniform_int_distribution<int64_t> d(lo.count(), hi.count() - 1);
  return time::Duration(d(rng));
}
}  // namespace

std::pair<time::Duration, time::Duration> LogicRenewalRange(time::Duration min, time::Duration max,
                                                            time::Duration heartbeat) {
  return {min, std::max(min, max - heartbeat)};
}

time::TimePoint Channel::NextLogicRenewal() const {
  const Config& c = loop_->cfg();
  auto [lo, hi] = LogicRenewalRange(
      std::chrono::duration_cast<time::Duration>(c.protocol.logicHeartbeatMin),
      std::chrono::duration_cast<time::Duration>(c.protocol.logicHeartbeatMax), heartbeat_);
  return loop_->timers().Now() + RandomBetween(lo, hi);
}

bool Channel::HandleFrame(protocol::Frame& f) {
  if (state_ == State::kHandshake) {
    if (f.op != protocol::kOpAuth) {
      // goim v2 logs and ignores frames before auth; a client that keeps sending them is closed.
      Stats::Get().pre_auth_frames->Inc();
      if (++pre_auth_frames_ > loop_->cfg().protocol.maxPreAuthFrames) {
        LOG_EVERY_T(WARNING, 1) << "comet: too many frames before auth ip=" << ip_
                                << " op=" << f.op;
        Close(CloseReason::kPreAuthFlood);
        return false;
      }
      return true;
    }
    if (!ReplySlot()) return false;  // stays reserved (not advanced) until OnAuth fills it
    StartAuth(f);
    return true;
  }
  switch (f.op) {
    case protocol::kOpHeartbeat:
      Stats::Get().heartbeats->Inc();
      loop_->timers().Set(deadline_, heartbeat_);
      MaybeLogicHeartbeat();
      return ReplyHeart(f.ver, f.seq);
    case protocol::kOpChangeRoom:
      ChangeRoom(f.body);
      return ReplyFrame(protocol::kOpChangeRoomReply, f.ver, f.seq, f.body);
    case protocol::kOpSub:
      Subscribe(f.body, true);
      return ReplyFrame(protocol::kOpSubReply, f.ver, f.seq, f.body);
    case protocol::kOpUnsub:
      Subscribe(f.body, false);
      return ReplyFrame(protocol::kOpUnsubReply, f.ver, f.seq, f.body);
    default:
      return StartReceive(f);
  }
}

// Anything else goes to logic (goim: Receive) and is answered with its own op and an empty body
// once logic answered, failed or not (goim logs a failure and replies all the same). As goim, the
// connection's next frames wait meanwhile, so logic sees them in order.
bool Channel::StartReceive(const protocol::Frame& f) {
  if (!ReplySlot()) return false;  // reserved until OnReceived fills it
  receiving_ = true;
  Loop* loop = loop_;
  uint64_t id = id_;
  int32_t op = f.op, ver = f.ver, seq = f.seq;
  loop_->ctx().logic->Receive(mid_, ver, op, seq, f.body, [loop, id, op, ver, seq](bool) {
    asio::post(loop->io(), [loop, id, op, ver, seq] {
      if (Channel* ch = loop->Resolve(id)) ch->OnReceived(op, ver, seq);
    });
  });
  return true;
}

void Channel::OnReceived(int32_t op, int32_t ver, int32_t seq) {
  if (!receiving_ || state_ == State::kClosed) return;
  receiving_ = false;
  if (!ReplyFrame(op, ver, seq, std::string())) return;
  Resume();
}

void Channel::Resume() {
  if (!Consume() || Paused()) return;
  ReadNow();
}

Reply* Channel::ReplySlot() {
  Reply* r;
  if (replies_.Set(&r) == ring::Error::kOk) return r;
  LOG_EVERY_T(WARNING, 1) << "comet: client ring full key=" << log::Printable(key_)
                          << " ip=" << ip_;
  Close(CloseReason::kRingFull);
  return nullptr;
}

bool Channel::ReplyFrame(int32_t op, int32_t ver, int32_t seq, const std::string& body) {
  Reply* r = ReplySlot();
  if (!r) return false;
  protocol::EncodeHeader(r->head, protocol::kRawHeaderSize + static_cast<int32_t>(body.size()), ver,
                         op, seq);
  r->head_len = protocol::kRawHeaderSize;
  r->ws_opcode = 0;
  r->body = body;
  replies_.SetAdv();
  return Enqueue({nullptr, r}, r->head_len + body.size());
}

bool Channel::ReplyHeart(int32_t ver, int32_t seq) {
  Reply* r = ReplySlot();
  if (!r) return false;
  int32_t online = room_ ? room_->stats->OnlineNum() : 0;
  protocol::EncodeHeader(r->head, protocol::kRawHeaderSize + protocol::kHeartSize, ver,
                         protocol::kOpHeartbeatReply, seq);
  protocol::StoreI32(r->head + protocol::kHeartOffset, online);
  r->head_len = protocol::kRawHeaderSize + protocol::kHeartSize;
  r->ws_opcode = 0;
  r->body.clear();
  replies_.SetAdv();
  return Enqueue({nullptr, r}, r->head_len);
}

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
                     std::move(*reply.mutable_roomid()), std::move(accepts), reply.heartbeat());
        });
      });
}

void Channel::OnAuth(bool ok, const std::string& err, int64_t mid, std::string key,
                     std::string room, std::vector<int32_t> accepts, int64_t heartbeat_ns) {
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
  std::sort(accepts.begin(), accepts.end());
  accepts.erase(std::unique(accepts.begin(), accepts.end()), accepts.end());
  watch_ops_ = std::move(accepts);
  heartbeat_ = heartbeat_ns > 0 ? time::Duration(std::chrono::nanoseconds(heartbeat_ns))
                                : std::chrono::minutes(8);
  state_ = State::kReady;
  if (uint64_t old = ctx.buckets.Put(key_, id_, mid_))
    ctx.loops[Loop::LoopOf(old)]->PostClose(old, CloseReason::kKicked);
  ctx.buckets.AddIp(ip_);
  loop_->Join(this, room);
  loop_->timers().Set(deadline_, heartbeat_);
  logic_hb_due_ = NextLogicRenewal();
  // The auth reply takes the slot the auth frame reserved: op 8, empty body, seq echoed.
  if (!ReplyFrame(protocol::kOpAuthReply, auth_ver_, auth_seq_, std::string())) return;
  VLOG(1) << "comet: authed key=" << log::Printable(key_) << " mid=" << mid_
          << " room=" << log::Printable(room) << " ip=" << ip_;
  // Frames that arrived behind the auth frame, then the socket.
  Resume();
}

void Channel::Adopt(int64_t mid, const std::string& key, const std::string& room,
                    std::vector<int32_t> accepts, bool null_sink) {
  null_sink_ = null_sink;
  mid_ = mid;
  key_ = key;
  std::sort(accepts.begin(), accepts.end());
  watch_ops_ = std::move(accepts);
  state_ = State::kReady;
  heartbeat_ = std::chrono::hours(24);
  loop_->ctx().buckets.Put(key_, id_, mid_);
  loop_->Join(this, room);
}

// The room name goes into the online report's proto map, which refuses invalid UTF-8 (the whole
// report would fail for every room of this comet), so it is made valid as logic's JSON makes the
// auth's room_id valid.
void Channel::ChangeRoom(const std::string& room) { loop_->Join(this, json::ValidUtf8(room)); }

void Channel::Subscribe(const std::string& body, bool add) {
  std::vector<int32_t> ops;
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    if (comma == std::string::npos) comma = body.size();
    int32_t op;
    auto [p, ec] = std::from_chars(body.data() + start, body.data() + comma, op);
    if (ec != std::errc() || p != body.data() + comma) {
      // goim ignores the whole body when one op does not parse.
      LOG_EVERY_T(INFO, 1) << "comet: bad sub/unsub body key=" << log::Printable(key_)
                           << " body=" << log::Printable(body, 64);
      return;
    }
    ops.push_back(op);
    start = comma + 1;
  }
  for (int32_t op : ops) {
    auto it = std::lower_bound(watch_ops_.begin(), watch_ops_.end(), op);
    bool has = it != watch_ops_.end() && *it == op;
    if (add && !has) watch_ops_.insert(it, op);
    if (!add && has) watch_ops_.erase(it);
  }
}

void Channel::MaybeLogicHeartbeat() {
  time::TimePoint now = loop_->timers().Now();
  if (now < logic_hb_due_) return;
  // Not again until this one answers (or the next heartbeat after a failure).
  logic_hb_due_ = time::TimePoint::max();
  Loop* loop = loop_;
  uint64_t id = id_;
  Context& ctx = loop_->ctx();
  ctx.logic->Heartbeat(mid_, key_, ctx.server_id, [loop, id](bool ok) {
    asio::post(loop->io(), [loop, id, ok] {
      Channel* ch = loop->Resolve(id);
      if (!ch) return;
      ch->logic_hb_due_ = ok ? ch->NextLogicRenewal() : loop->timers().Now();
    });
  });
}

}  // namespace goim::comet
