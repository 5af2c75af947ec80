#include "job/job.h"

#include <algorithm>

#include <glog/logging.h>

#include "pkg/hash/ketama.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/join.h"
#include "pkg/protocol/frame.h"

namespace goim::job {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* consumed =
      r.NewCounter("goim_job_consumed_total", "Messages consumed from the queue");
  metrics::Counter* bad =
      r.NewCounter("goim_job_bad_messages_total", "Messages that are not a goim PushMsg (skipped)");
  metrics::Counter* push =
      r.NewCounter("goim_job_dispatched_total{type=\"push\"}", "Messages dispatched by type");
  metrics::Counter* room =
      r.NewCounter("goim_job_dispatched_total{type=\"room\"}", "Messages dispatched by type");
  metrics::Counter* all =
      r.NewCounter("goim_job_dispatched_total{type=\"broadcast\"}", "Messages dispatched by type");
  metrics::Counter* unknown_server = r.NewCounter(
      "goim_job_unknown_server_total", "PUSH messages for a comet this job does not know");
  metrics::Counter* no_comets =
      r.NewCounter("goim_job_no_comets_total",
                   "Broadcasts dropped because no comet was up (broadcast.noComets: drop)");
  metrics::Counter* batches = r.NewCounter("goim_job_room_batches_total", "Room batches flushed");
  metrics::Counter* batched =
      r.NewCounter("goim_job_room_batched_messages_total", "Room messages flushed in batches");
  metrics::Counter* batch_wait_us =
      r.NewCounter("goim_job_room_batch_wait_us_total",
                   "Microseconds room batches waited before their flush (sum over batches)");
  metrics::Counter* done = r.NewCounter("goim_job_done_total", "Messages whose work finished");
  metrics::Counter* commits = r.NewCounter("goim_job_commits_total", "Offset commits sent");
  metrics::Counter* pauses =
      r.NewCounter("goim_job_pauses_total", "Times consumption paused for back-pressure");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

}  // namespace

Job::Job(const Config& cfg, std::unique_ptr<queue::Consumer> consumer, time::Clock& clock)
    : cfg_(cfg), consumer_(std::move(consumer)), timer_(io_, clock, 1024) {
  Counters::Get();
  batchers_ = std::make_unique<RoomBatchers>(
      timer_, cfg_.room.batch, cfg_.room.idle,
      [this](const std::string& room, time::TimePoint last) { return Window(room, last); },
      [this](Batch&& b) { FlushRoom(std::move(b)); });
  for (const auto& in : discovery::InZone(cfg_.comets, cfg_.env.zone)) {
    comets_.push_back(std::make_unique<CometClient>(in, io_, timer_, comet_calls_, cfg_));
    by_name_[in.hostname] = comets_.back().get();
  }
  std::atomic<int64_t>* inflight = &inflight_;
  metrics::Registry::Default().NewCallbackGauge(
      "goim_job_inflight_messages", "Messages consumed and not yet done",
      [inflight] { return static_cast<double>(inflight->load()); });
}

Job::~Job() {
  Stop();
  DetachHistory();
}

void Job::Start() {
  static metrics::Gauge* assigned = metrics::Registry::Default().NewGauge(
      "goim_job_assigned_partitions", "Queue partitions this job consumes");
  consumer_->SetListener(
      {[](const std::vector<int32_t>& parts) { assigned->Add(static_cast<int64_t>(parts.size())); },
       [this](const std::vector<int32_t>& parts) {
         OnRevoked(parts);
         assigned->Sub(static_cast<int64_t>(parts.size()));
       }});
  loop_thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
  asio::post(io_, [this] {
    CommitTick();
    RoomsTick();
  });
  poll_thread_ = std::thread([this] { PollLoop(); });
  LOG(INFO) << "job: started comets=" << comets_.size() << " topic=" << cfg_.kafka.topic
            << " group=" << cfg_.kafka.group;
}

void Job::Stop() {
  if (!loop_thread_.joinable()) return;
  stopping_ = true;
  if (poll_thread_.joinable()) poll_thread_.join();  // closes the consumer: flush, drain, commit
  std::promise<void> flushed;
  asio::post(io_, [this, &flushed] {
    batchers_->FlushAll();
    flushed.set_value();
  });
  flushed.get_future().wait();
  // The batches still with the store are sent (posted to the loop) before the final commit.
  if (appender_) appender_->Drain();
  std::promise<void> final_commit;
  asio::post(io_, [this, &final_commit] {
    CommitTick();
    timer_.Del(commit_timer_);
    timer_.Del(rooms_timer_);
    for (auto& c : comets_) c->Abandon();
    final_commit.set_value();
  });
  final_commit.get_future().wait();
  // No gRPC completion may outlive the loop it posts to.
  if (!comet_calls_.WaitIdle(std::chrono::seconds(5)))
    LOG(WARNING) << "job: comet calls still in flight at exit";
  io_.stop();
  loop_thread_.join();
  LOG(INFO) << "job: stopped inflight=" << inflight_.load();
}

// --- consuming -------------------------------------------------------------------------------

void Job::PollLoop() {
  const int64_t high = cfg_.consumer.maxInflight;
  bool paused = false;
  while (!stopping_) {
    bool over = inflight_.load() >= high || overloaded_.load();
    if (over != paused) {
      paused = over;
      if (paused) {
        Counters::Get().pauses->Inc();
        VLOG(1) << "job: consumption paused inflight=" << inflight_.load();
        consumer_->Pause();
      } else {
        consumer_->Resume();
      }
    }
    // Take what is ready in one go, so one loop turn dispatches a burst.
    std::vector<queue::Message> burst;
    if (auto m = consumer_->Poll(paused ? 20 : 100)) {
      burst.push_back(std::move(*m));
      while (burst.size() < 512) {
        auto more = consumer_->Poll(0);
        if (!more) break;
        burst.push_back(std::move(*more));
      }
    }
    if (burst.empty()) continue;
    inflight_ += static_cast<int64_t>(burst.size());
    Counters::Get().consumed->Inc(burst.size());
    asio::post(io_, [this, burst = std::move(burst)] {
      for (const auto& m : burst) Dispatch(m);
      batchers_->FlushImmediate();
    });
  }
  consumer_->Close();
}

void Job::OnRevoked(const std::vector<int32_t>& parts) {
  // Poll thread, inside a rebalance: finish (or give up on) these partitions' work and commit
  // it before another consumer takes them.
  auto drained = std::make_shared<std::promise<void>>();
  asio::post(io_, [this, parts, drained] {
    batchers_->FlushAll();
    drain_ = std::make_unique<Drain>(Drain{parts, drained});
    CheckDrain();
  });
  if (drained->get_future().wait_for(cfg_.consumer.revokeTimeout) != std::future_status::ready) {
    LOG(WARNING) << "job: revoked partitions still have work after consumer.revokeTimeout; it may "
                    "be redelivered";
  }
  std::promise<std::vector<queue::PartitionOffset>> points;
  asio::post(io_, [this, parts, &points] {
    drain_.reset();
    // Parked broadcasts of these partitions now belong to the next owner.
    std::erase_if(waiting_, [&](const auto& w) {
      return std::find(parts.begin(), parts.end(), w.second.partition) != parts.end();
    });
    auto p = tracker_.Points(parts);
    tracker_.Forget(parts);
    points.set_value(std::move(p));
  });
  auto offsets = points.get_future().get();
  if (!offsets.empty()) {
    consumer_->Commit(offsets);
    Counters::Get().commits->Inc();
  }
}

void Job::CheckDrain() {
  if (!drain_ || !drain_->done) return;
  // Broadcasts parked until a comet is up are not waited for: they stay uncommitted and come
  // back to whoever owns the partition next.
  size_t parked = 0;
  for (const auto& [pm, t] : waiting_) {
    for (int32_t p : drain_->parts) parked += t.partition == p;
  }
  if (tracker_.Pending(drain_->parts) <= parked) {
    drain_->done->set_value();
    drain_->done.reset();
  }
}

// --- dispatch --------------------------------------------------------------------------------

void Job::Dispatch(const queue::Message& m) {
  Token t{m.partition, m.offset};
  tracker_.Begin(m.partition, m.offset);
  goim::logic::PushMsg pm;
  if (!pm.ParseFromString(m.value)) {
    Counters::Get().bad->Inc();
    LOG_EVERY_T(WARNING, 1) << "job: not a PushMsg partition=" << m.partition
                            << " offset=" << m.offset;
    return Finish({t});
  }
  switch (pm.type()) {
    case goim::logic::PushMsg::PUSH:
      Counters::Get().push->Inc();
      return DispatchPush(pm, t);
    case goim::logic::PushMsg::ROOM:
      Counters::Get().room->Inc();
      return batchers_->Append(pm.room(), pm.operation(), pm.msg(), t);
    case goim::logic::PushMsg::BROADCAST:
      Counters::Get().all->Inc();
      return DispatchBroadcast(pm, t);
    default:
      Counters::Get().bad->Inc();
      LOG_EVERY_T(WARNING, 1) << "job: no match push type type=" << pm.type();
      return Finish({t});
  }
}

namespace {
// goim's job wraps every push as an OpRaw holding complete frames (ver 1).
void SetRaw(goim::protocol::Proto* p, std::string frames) {
  p->set_ver(1);
  p->set_op(protocol::kOpRaw);
  p->set_body(std::move(frames));
}
}  // namespace

void Job::DispatchPush(const goim::logic::PushMsg& pm, Token t) {
  auto it = by_name_.find(pm.server());
  if (it == by_name_.end() || pm.keys_size() == 0) {
    Counters::Get().unknown_server->Inc();
    LOG_EVERY_T(WARNING, 1) << "job: push for an unknown comet server=" << pm.server();
    return Finish({t});
  }
  auto req = std::make_shared<goim::comet::PushMsgReq>();
  for (const auto& k : pm.keys()) req->add_keys(k);
  req->set_protoop(pm.operation());
  std::string frame;
  protocol::AppendFrame(&frame, 1, pm.operation(), 0, pm.msg());
  SetRaw(req->mutable_proto(), std::move(frame));
  uint32_t lane = hash::BucketHash(pm.keys(0));
  Send({it->second}, lane, CometClient::Kind::kPush, std::move(req), {t});
}

void Job::DispatchBroadcast(const goim::logic::PushMsg& pm, Token t) {
  std::vector<CometClient*> up = Up();
  if (up.empty()) {
    if (cfg_.broadcast.noComets == "wait") {
      waiting_.emplace_back(pm, t);  // kept (uncommitted) until a comet is up
      return;
    }
    Counters::Get().no_comets->Inc();
    LOG_EVERY_T(WARNING, 1) << "job: broadcast dropped, no comet is up";
    return Finish({t});
  }
  auto req = std::make_shared<goim::comet::BroadcastReq>();
  req->set_protoop(pm.operation());
  // goim divides speed by the number of comets (integer division, 0 when speed < comets, and a
  // panic with none); here each comet gets its share, at least 1 when a speed was asked for.
  int32_t speed =
      pm.speed() > 0 ? std::max<int32_t>(1, pm.speed() / static_cast<int32_t>(up.size())) : 0;
  req->set_speed(speed);
  std::string frame;
  protocol::AppendFrame(&frame, 1, pm.operation(), 0, pm.msg());
  SetRaw(req->mutable_proto(), std::move(frame));
  Send(up, hash::BucketHash("broadcast"), CometClient::Kind::kBroadcast, std::move(req), {t});
}

void Job::FlushRoom(Batch&& b) {
  Counters& c = Counters::Get();
  c.batches->Inc();
  c.batched->Inc(static_cast<uint64_t>(b.count));
  c.batch_wait_us->Inc(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(timer_.Now() - b.first).count()));
  if (history_) return AppendThenSend(std::move(b));
  SendRoom(std::move(b), nullptr);
}

void Job::SendRoom(Batch&& b, const history::AppendReply* r) {
  std::vector<CometClient*> targets;
  for (CometClient* cc : Up()) {
    if (cfg_.room.hostsOnly) {
      auto h = hosted_.find(cc->name());
      if (h != hosted_.end() && !h->second.count(b.room)) continue;  // known not to host it
    }
    targets.push_back(cc);
  }
  auto req = std::make_shared<goim::comet::BroadcastRoomReq>();
  req->set_roomid(b.room);
  SetRaw(req->mutable_proto(), std::move(b.frames));
  if (r) SetOffsets(req.get(), *r, b.count);
  Send(targets, hash::BucketHash(b.room), CometClient::Kind::kRoom, std::move(req),
       std::move(b.tokens));
}

void Job::Send(const std::vector<CometClient*>& targets, uint32_t lane, CometClient::Kind kind,
               std::shared_ptr<const google::protobuf::Message> req, std::vector<Token> tokens) {
  // Done when every target answered (or left the membership).
  auto join = net::Join<>::Make(
      targets.size(),
      [this, tokens = std::move(tokens)](const std::string&, std::monostate) { Finish(tokens); });
  for (CometClient* cc : targets) cc->Send(lane, kind, req, [join](bool) { join->Report(""); });
}

void Job::Finish(const std::vector<Token>& tokens) {
  for (const Token& t : tokens) tracker_.Done(t.partition, t.offset);
  inflight_ -= static_cast<int64_t>(tokens.size());
  Counters::Get().done->Inc(tokens.size());
  CheckDrain();
}

std::vector<CometClient*> Job::Up() const {
  std::vector<CometClient*> out;
  for (const auto& c : comets_) {
    if (c->up()) out.push_back(c.get());
  }
  return out;
}

// The batching window of a room. goim waits up to room.signal for every room. Adaptive: a flush
// costs about one socket write per member, so each room may spend room.writesPerSecond writes a
// second: a batch waits only until that budget allows another flush since the room's last one
// (online / writesPerSecond after it), never longer than room.signal. A quiet or small room is
// flushed at once; a busy big room gathers messages while its budget refills.
time::Duration Job::Window(const std::string& room, time::TimePoint last_flush) const {
  auto signal = std::chrono::duration_cast<time::Duration>(cfg_.room.signal);
  if (!cfg_.room.adaptive) return signal;
  int64_t online = Online(room);
  auto cost = std::chrono::duration_cast<time::Duration>(
      std::chrono::duration<double>(static_cast<double>(online) / cfg_.room.writesPerSecond));
  auto wait = last_flush + cost - timer_.Now();
  if (wait <= time::Duration::zero()) return time::Duration::zero();
  return std::min(wait, signal);
}

int64_t Job::Online(const std::string& room) const {
  int64_t online = 0;
  for (const auto& [comet, rooms] : hosted_) {
    auto it = rooms.find(room);
    if (it != rooms.end()) online += it->second;
  }
  return online;
}

// --- ticks -----------------------------------------------------------------------------------

void Job::CommitTick() {
  auto offsets = tracker_.Advance();
  if (!offsets.empty()) {
    consumer_->Commit(offsets);
    Counters::Get().commits->Inc();
  }
  size_t max_queue = 0;
  for (const auto& c : comets_) max_queue = std::max(max_queue, c->queued());
  // Batches waiting for the history store count as calls waiting for a comet.
  if (appender_) max_queue = std::max(max_queue, appender_->queued());
  overloaded_ = max_queue >= static_cast<size_t>(cfg_.comet.queue);
  if (stopping_) return;
  commit_timer_ = timer_.Add(
      cfg_.consumer.commitInterval, [](void* job) { static_cast<Job*>(job)->CommitTick(); }, this);
}

void Job::RoomsTick() {
  for (auto& c : comets_) {
    if (!c->up()) {
      hosted_.erase(c->name());
      continue;
    }
    std::string name = c->name();
    c->PollRooms([this, name](bool ok, const goim::comet::RoomsReply& reply) {
      if (!ok) return;
      auto& rooms = hosted_[name];
      rooms.clear();
      for (const auto& [room, yes] : reply.rooms()) rooms[room] = 0;
      for (const auto& [room, n] : reply.online()) rooms[room] = n;
    });
  }
  RetryWaiting();
  if (stopping_) return;
  rooms_timer_ = timer_.Add(
      cfg_.comet.roomsInterval, [](void* job) { static_cast<Job*>(job)->RoomsTick(); }, this);
}

void Job::RetryWaiting() {
  if (waiting_.empty() || Up().empty()) return;
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& [pm, t] : waiting) DispatchBroadcast(pm, t);
}

int64_t Job::RoomOnline(const std::string& room) {
  std::promise<int64_t> p;
  asio::post(io_, [this, &p, &room] { p.set_value(Online(room)); });
  return p.get_future().get();
}

std::vector<std::string> Job::UpComets() {
  std::promise<std::vector<std::string>> p;
  asio::post(io_, [this, &p] {
    std::vector<std::string> out;
    for (CometClient* c : Up()) out.push_back(c->name());
    p.set_value(out);
  });
  return p.get_future().get();
}

}  // namespace goim::job
