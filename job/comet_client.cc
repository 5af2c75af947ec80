#include "job/comet_client.h"

#include <glog/logging.h>
#include <grpcpp/create_channel.h>

#include "pkg/metrics/metrics.h"

namespace goim::job {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* ok =
      r.NewCounter("goim_job_comet_calls_total{result=\"ok\"}", "Calls to comets by result");
  metrics::Counter* failed =
      r.NewCounter("goim_job_comet_calls_total{result=\"failed\"}", "Calls to comets by result");
  metrics::Counter* gone = r.NewCounter("goim_job_comet_calls_total{result=\"comet_gone\"}",
                                        "Calls to comets by result");
  metrics::Counter* retries =
      r.NewCounter("goim_job_comet_retries_total", "Calls to comets retried after a failure");
  metrics::Counter* down = r.NewCounter("goim_job_comet_down_total",
                                        "Comets marked down after failing for comet.failTimeout");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

}  // namespace

using Async = class goim::comet::Comet::Stub::async;  // the callback-API half of the stub

CometClient::CometClient(const discovery::Instance& in, asio::io_context& io, time::Timer& timer,
                         net::InFlight& calls, const Config& cfg)
    : in_(in),
      io_(io),
      timer_(timer),
      calls_(calls),
      cfg_(cfg),
      lanes_(static_cast<size_t>(cfg.comet.lanes)),
      alive_(std::make_shared<bool>(true)) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(16 << 20);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
  stub_ = goim::comet::Comet::NewStub(
      grpc::CreateCustomChannel(in.grpc, grpc::InsecureChannelCredentials(), args));
  for (uint32_t i = 0; i < lanes_.size(); ++i) {
    lanes_[i].owner = this;
    lanes_[i].index = i;
  }
  Counters::Get();
}

CometClient::~CometClient() {
  *alive_ = false;
  for (auto& l : lanes_) timer_.Del(l.retry);
  timer_.Del(probe_);
}

net::CallOptions CometClient::Options(bool wait_for_ready) const {
  return {std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.comet.timeout), wait_for_ready,
          &calls_};
}

void CometClient::Send(uint32_t lane, Kind kind,
                       std::shared_ptr<const google::protobuf::Message> req, Done done) {
  if (!up_ || abandoned_) {
    Counters::Get().gone->Inc();
    done(false);
    return;
  }
  Lane& l = lanes_[lane % lanes_.size()];
  l.q.push_back({kind, std::move(req), std::move(done)});
  ++queued_;
  Pump(lane % static_cast<uint32_t>(lanes_.size()));
}

void CometClient::Pump(uint32_t lane) {
  Lane& l = lanes_[lane];
  if (l.busy || l.q.empty()) return;
  l.busy = true;
  Issue(lane);
}

void CometClient::Issue(uint32_t lane) {
  Call& c = lanes_[lane].q.front();
  ++c.attempts;
  ++inflight_;
  uint64_t issue = c.issue = ++next_issue_;
  std::weak_ptr<bool> alive = alive_;
  // The completion touches no member before the alive check: a comet that left the membership
  // destroys its client with calls still in flight (Job::ApplyComets).
  auto finish = [this, io = &io_, lane, issue, alive](const grpc::Status& st, auto&) {
    asio::post(*io, [this, lane, issue, alive, st] {
      if (auto a = alive.lock(); a && *a) OnResult(lane, issue, st);
    });
  };
  const net::CallOptions opts = Options(true);
  switch (c.kind) {
    case Kind::kPush:
      return net::UnaryCall(stub_->async(), &Async::PushMsg,
                            std::static_pointer_cast<const goim::comet::PushMsgReq>(c.req), opts,
                            finish);
    case Kind::kRoom:
      return net::UnaryCall(stub_->async(), &Async::BroadcastRoom,
                            std::static_pointer_cast<const goim::comet::BroadcastRoomReq>(c.req),
                            opts, finish);
    case Kind::kBroadcast:
      return net::UnaryCall(stub_->async(), &Async::Broadcast,
                            std::static_pointer_cast<const goim::comet::BroadcastReq>(c.req), opts,
                            finish);
  }
}

void CometClient::OnResult(uint32_t lane, uint64_t issue, const grpc::Status& st) {
  --inflight_;
  Lane& l = lanes_[lane];
  // The call was abandoned meanwhile (its lane may already carry a newer one).
  if (l.q.empty() || l.q.front().issue != issue) return;
  if (st.ok()) {
    Counters::Get().ok->Inc();
    failing_since_ = {};
    Call c = std::move(l.q.front());
    l.q.pop_front();
    --queued_;
    l.busy = false;
    c.done(true);
    Pump(lane);
    return;
  }
  Counters::Get().failed->Inc();
  time::TimePoint now = timer_.Now();
  if (failing_since_ == time::TimePoint{}) failing_since_ = now;
  LOG_EVERY_T(WARNING, 1) << "job: comet call failed comet=" << in_.hostname
                          << " attempt=" << l.q.front().attempts << " error(" << st.error_message()
                          << ")";
  if (now - failing_since_ >= cfg_.comet.failTimeout) {
    l.busy = false;
    MarkDown();
    return;
  }
  // Retry the head of this lane (order kept) after a backoff doubling to 2 s.
  Counters::Get().retries->Inc();
  int shift = std::min(l.q.front().attempts - 1, 5);
  auto backoff = std::min<std::chrono::nanoseconds>(cfg_.comet.retryBackoff * (1 << shift),
                                                    std::chrono::seconds(2));
  l.retry = timer_.Add(backoff, &CometClient::OnRetry, &l);
}

void CometClient::OnRetry(void* lane) {
  auto* l = static_cast<Lane*>(lane);
  l->retry = time::TimerId{};
  if (l->q.empty()) return;  // abandoned: Abandon cleared busy
  l->owner->Issue(l->index);
}

void CometClient::MarkDown() {
  if (!up_) return;
  up_ = false;
  Counters::Get().down->Inc();
  LOG(ERROR) << "job: comet down, dropped from membership comet=" << in_.hostname
             << " addr=" << in_.grpc << " failing_for="
             << std::chrono::duration_cast<std::chrono::seconds>(cfg_.comet.failTimeout).count()
             << "s; its queued pushes are abandoned";
  Abandon();
  abandoned_ = false;
  Probe();
}

void CometClient::Abandon() {
  abandoned_ = true;
  for (auto& l : lanes_) {
    timer_.Del(l.retry);
    while (!l.q.empty()) {
      Call c = std::move(l.q.front());
      l.q.pop_front();
      --queued_;
      Counters::Get().gone->Inc();
      c.done(false);
    }
    l.busy = false;
  }
}

void CometClient::Probe() {
  probe_ = timer_.Add(std::chrono::seconds(1), &CometClient::OnProbe, this);
}

void CometClient::OnProbe(void* self) {
  auto* c = static_cast<CometClient*>(self);
  c->probe_ = time::TimerId{};
  if (c->abandoned_) return;
  c->PollRooms([c](bool ok, const goim::comet::RoomsReply&) {
    if (!ok) return c->Probe();
    c->up_ = true;
    c->failing_since_ = {};
    LOG(INFO) << "job: comet back up comet=" << c->in_.hostname;
  });
}

void CometClient::PollRooms(std::function<void(bool, const goim::comet::RoomsReply&)> done) {
  std::weak_ptr<bool> alive = alive_;
  net::UnaryCall(stub_->async(), &Async::Rooms, goim::comet::RoomsReq(), Options(false),
                 [io = &io_, alive, done = std::move(done)](const grpc::Status& st,
                                                            goim::comet::RoomsReply& reply) {
                   asio::post(*io, [alive, done, ok = st.ok(), reply = std::move(reply)] {
                     if (auto a = alive.lock(); a && *a) done(ok, reply);
                   });
                 });
}

}  // namespace goim::job
