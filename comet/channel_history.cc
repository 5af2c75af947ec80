// Room history for a connection that opted in at auth (auth JSON "history": N, or "offset" and
// "epoch"; logic hands the ask over in ConnectReply.history). README "History" has the contract.
//
// Positioning (at auth, and at every change room): the connection joins the room first, so every
// room push that reaches this loop from then on is held; then logic reads the history (History);
// then the reply goes out (op 8 with {"epoch","offset","recovered"}; or op 13, echoing the op 12,
// followed by an op 18 with that body), then the replayed messages (seq = their offset), then the
// held pushes without the frames the replay already had (offset <= the reply's offset), then
// live. job appends a batch to the store before it sends it, so a batch the read did not see
// reaches this loop after the join: it is among the held ones. No gap, no duplicate at the seam.
//
// Live: every room frame carries its offset in seq. A push that follows what the connection was
// sent gets the shared bytes (the push's seq variant, made once per push per comet); one of
// another epoch (the store lost continuity; or the position was never known, History having
// failed) gets bytes of its own led by an op 18 naming the new epoch; frames the connection had
// already (re-consumed after a job crash: same offsets) are left out. Pushes held past
// protocol.historyHold close the connection (reason history_overflow): it reconnects with its
// offset and recovers.
#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/json/json.h"
#include "pkg/log/log.h"

namespace goim::comet {

namespace {

// The body of op 8 and op 18 for an opted-in connection.
std::string Position(const std::string& epoch, int64_t offset, bool recovered) {
  return json::Dump({{"epoch", epoch}, {"offset", offset}, {"recovered", recovered}});
}

int32_t Seq(int64_t offset) {
  return offset > 0 && offset <= INT32_MAX ? static_cast<int32_t>(offset) : 0;
}

// Nothing asked (history 0, no position): everything asked was given.
bool AskedNothing(const goim::logic::HistoryAsk& a) {
  return !a.bad() && a.last() <= 0 && !a.position();
}

}  // namespace

void Channel::AuthWithHistory(const std::string& room) {
  hist_->auth = true;
  if (!room.empty()) return StartPositioning(room);
  // In no room: nowhere to be positioned.
  const bool recovered = AskedNothing(hist_->ask);
  (recovered ? Stats::Get().history_recovered : Stats::Get().history_unrecovered)->Inc();
  if (ReplyFrame(protocol::kOpAuthReply, auth_ver_, auth_seq_, Position("", 0, recovered)))
    Resume();
}

bool Channel::ChangeRoomWithHistory(const protocol::Frame& f) {
  if (!ReplySlot()) return false;  // reserved until the op 13 fills it
  hist_->auth = false;
  hist_->ver = f.ver;
  hist_->seq = f.seq;
  hist_->body = f.body;
  // A change room asks for the last N of the new room, whatever the auth asked besides.
  goim::logic::HistoryAsk ask;
  ask.set_last(hist_->ask.last());
  hist_->ask = ask;
  ChangeRoom(f.body);
  if (room_) {
    StartPositioning(room_->stats->id);
    return true;
  }
  // Left every room (""): nowhere to be positioned, answered at once.
  return FinishPositioning("", 0, AskedNothing(ask), std::string(), 0);
}

void Channel::StartPositioning(const std::string& room) {
  state_ = State::kPositioning;
  hist_->epoch.clear();
  hist_->offset = 0;
  Loop* loop = loop_;
  uint64_t id = id_;
  loop_->ctx().logic->History(
      room, hist_->ask, [loop, id](const grpc::Status& st, goim::logic::HistoryReply& reply) {
        asio::post(loop->io(), [loop, id, ok = st.ok(), err = st.error_message(),
                                reply = std::move(reply)]() mutable {
          Channel* ch = loop->Resolve(id);
          if (!ch) return;
          if (!ok) {
            Stats::Get().history_errors->Inc();
            LOG_EVERY_T(WARNING, 1) << "comet: history read failed key=" << log::Printable(ch->key_)
                                    << " error(" << log::Printable(err, 256) << ")";
          }
          ch->OnPositioned(ok, reply);
        });
      });
}

void Channel::OnPositioned(bool ok, goim::logic::HistoryReply& reply) {
  if (state_ != State::kPositioning) return;
  std::string frames;
  int32_t count = 0;
  if (ok) {
    for (const goim::logic::HistoryMessage& m : reply.messages()) {
      protocol::AppendFrame(&frames, 1, m.op(), Seq(m.offset()), m.body());
      ++count;
    }
    Stats::Get().history_replayed->Inc(static_cast<uint64_t>(count));
  }
  // A failed read leaves the position unknown: the first numbered push tells it (op 18).
  if (FinishPositioning(ok ? reply.epoch() : std::string(), ok ? reply.offset() : 0,
                        ok && reply.recovered(), std::move(frames), count))
    Resume();
}

bool Channel::FinishPositioning(const std::string& epoch, int64_t offset, bool recovered,
                                std::string frames, int32_t count) {
  state_ = State::kReady;
  (recovered ? Stats::Get().history_recovered : Stats::Get().history_unrecovered)->Inc();
  const std::string position = Position(epoch, offset, recovered);
  if (hist_->auth) {
    if (!ReplyFrame(protocol::kOpAuthReply, auth_ver_, auth_seq_, position)) return false;
  } else {
    if (!ReplyFrame(protocol::kOpChangeRoomReply, hist_->ver, hist_->seq, hist_->body))
      return false;
    std::string lead;
    protocol::AppendFrame(&lead, 1, protocol::kOpHistoryPosition, 0, position);
    frames.insert(0, lead);
    ++count;
  }
  // Later asks (change room) want only the last N.
  hist_->ask.clear_position();
  hist_->ask.clear_offset();
  hist_->ask.clear_epoch();
  hist_->ask.clear_bad();
  hist_->epoch = epoch;
  hist_->offset = offset;
  std::vector<LoopMsg*> held;
  held.swap(hist_->held);
  for (LoopMsg* m : held) {
    count += AppendFresh(*m->data, &frames);
    UnrefMsg(m);
  }
  return count == 0 || QueueOwn(std::move(frames), count, true);
}

bool Channel::PushHistory(LoopMsg* m) {
  const PushData& d = *m->data;
  if (state_ == State::kPositioning) {
    if (hist_->held.size() >= static_cast<size_t>(loop_->cfg().protocol.historyHold)) {
      LOG_EVERY_T(WARNING, 1) << "comet: too many pushes while positioning in history, closing key="
                              << log::Printable(key_) << " ip=" << ip_
                              << " held=" << hist_->held.size();
      Close(CloseReason::kHistoryOverflow);
      return false;
    }
    ++m->refs;
    hist_->held.push_back(m);
    return true;
  }
  if (!d.numbered()) return PushShared(m);
  if (d.epoch() == hist_->epoch && d.first_offset() > hist_->offset) {
    if (!PushShared(m)) return false;
    hist_->offset = d.last_offset();
    return true;
  }
  std::string frames;
  const int32_t count = AppendFresh(d, &frames);
  return count == 0 || QueueOwn(std::move(frames), count, false);
}

int32_t Channel::AppendFresh(const PushData& d, std::string* out) {
  if (!d.numbered()) {
    out->append(d.frames().bytes);
    return d.frames().frame_count;
  }
  int32_t count = 0;
  if (d.epoch() != hist_->epoch) {
    // Continuity is lost (or the position was never known): the frames that follow are the new
    // epoch's, from its first offset here.
    Stats::Get().history_epoch_changes->Inc();
    hist_->epoch = d.epoch();
    hist_->offset = d.first_offset() - 1;
    protocol::AppendFrame(out, 1, protocol::kOpHistoryPosition, 0,
                          Position(hist_->epoch, hist_->offset, false));
    ++count;
  }
  const int32_t fresh = AppendNumbered(d, hist_->offset, out);
  if (fresh < d.frames().frame_count)
    Stats::Get().history_skipped->Inc(static_cast<uint64_t>(d.frames().frame_count - fresh));
  hist_->offset = std::max(hist_->offset, d.last_offset());
  return count + fresh;
}

bool Channel::QueueOwn(std::string frames, int32_t count, bool force) {
  const uint32_t limit = static_cast<uint32_t>(loop_->cfg().protocol.svrProto);
  if (out_.pushes() >= limit && !writing_) Flush();
  if (!ready()) return false;
  if (force && out_.pushes() > limit) {
    // Its queue is over the limit already by an earlier replay: a client changing rooms again
    // and again without reading. The queue has room for one forced push only.
    LOG_EVERY_T(WARNING, 1) << "comet: slow consumer closed at a history replay key="
                            << log::Printable(key_) << " ip=" << ip_;
    Close(CloseReason::kSlow);
    return false;
  }
  if (!force && out_.pushes() >= limit) {
    Stats::Get().pushes_dropped->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: push dropped, connection queue full key="
                            << log::Printable(key_) << " ip=" << ip_ << " queued=" << out_.pushes();
    return false;
  }
  // Bytes of this connection's own: made (and compressed, when it asked) for it alone.
  auto* m = new LoopMsg(std::make_shared<PushData>(std::move(frames), count));
  Stats::Get().pushes_queued->Inc();
  return Enqueue(WriteItem::Push(m, &BytesFor(m, enc_, loop_->cfg())));
}

void Channel::ReleaseHeld() {
  for (LoopMsg* m : hist_->held) UnrefMsg(m);
  hist_->held.clear();
}

}  // namespace goim::comet
