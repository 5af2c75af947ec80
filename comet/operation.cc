// goim's per-frame operations (goim internal/comet operation.go and the serve loops): the auth
// frame (taken to logic by channel.cc), heartbeat, change room, sub/unsub, and everything else
// handed to logic and echoed back; the replies, each in its client-ring slot.
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
#include "pkg/websocket/frame.h"

namespace goim::comet {

namespace {
// The reply body of a frame whose Receive call failed (logic down or past the deadline).
constexpr const char* kLogicFailedBody = R"({"code":-500,"message":"logic unavailable"})";

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
      if (hist_) return ChangeRoomWithHistory(f);
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

// Anything else goes to logic (goim: Receive), with the sender's key and room, and is answered
// with its own op once logic answered. As goim, the connection's next frames wait meanwhile, so
// logic sees them in order. The reply's body is logic's ReceiveReply.body: empty from goim's
// logic and for an accepted send, {"code":N,"message":..} for a refused one. A failed call gets
// kLogicFailedBody (goim: an empty body all the same), so a client never takes it for accepted.
bool Channel::StartReceive(const protocol::Frame& f) {
  if (!ReplySlot()) return false;  // reserved until OnReceived fills it
  state_ = State::kReceiving;
  Loop* loop = loop_;
  uint64_t id = id_;
  int32_t op = f.op, ver = f.ver, seq = f.seq;
  std::string room = room_ ? room_->stats->id : std::string();
  loop_->ctx().logic->Receive(
      mid_, key_, room, ver, op, seq, f.body, [loop, id, op, ver, seq](bool ok, std::string body) {
        if (!ok) body = kLogicFailedBody;
        asio::post(loop->io(), [loop, id, op, ver, seq, body = std::move(body)] {
          if (Channel* ch = loop->Resolve(id)) ch->OnReceived(op, ver, seq, body);
        });
      });
  return true;
}

void Channel::OnReceived(int32_t op, int32_t ver, int32_t seq, const std::string& body) {
  if (state_ != State::kReceiving) return;
  state_ = State::kReady;
  if (!ReplyFrame(op, ver, seq, body)) return;
  Resume();
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
  return Enqueue(WriteItem::Answer(r));
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
  return Enqueue(WriteItem::Answer(r));
}

// A WebSocket ping is answered in order with the replies, through a reply slot like them.
bool Channel::ReplyPong(std::span<const uint8_t> payload) {
  Reply* r = ReplySlot();
  if (!r) return false;
  r->head_len = 0;
  r->ws_opcode = websocket::kPong;
  r->body.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  replies_.SetAdv();
  return Enqueue(WriteItem::Answer(r));
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
  if (add) return Watch(ops);
  for (int32_t op : ops) watch_ops_.erase(op);
}

// goim keeps no cap, in a sorted slice: a client subscribing op after op made each insertion cost
// the whole list. Here a set (logarithmic) of at most protocol.maxWatchOps ops.
void Channel::Watch(std::span<const int32_t> ops) {
  const size_t cap = static_cast<size_t>(loop_->cfg().protocol.maxWatchOps);
  uint64_t refused = 0;
  for (int32_t op : ops) {
    if (watch_ops_.size() >= cap && !watch_ops_.contains(op))
      ++refused;
    else
      watch_ops_.insert(op);
  }
  if (refused == 0) return;
  Stats::Get().watch_ops_refused->Inc(refused);
  LOG_EVERY_T(WARNING, 1) << "comet: ops to watch over protocol.maxWatchOps key="
                          << log::Printable(key_) << " ip=" << ip_ << " refused=" << refused;
}

bool Channel::Watching(int32_t op) const { return watch_ops_.contains(op); }

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
