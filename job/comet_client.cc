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

template <class Req, class Reply>
struct Rpc {
  grpc::ClientContext ctx;
  Reply reply;
};

}  // namespace

CometClient::CometClient(const discovery::Instance& in, asio::io_context& io, const Config& cfg)
    : in_(in),
      io_(io),
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
  for (auto& l : lanes_) l.retry = std::make_unique<asio::steady_timer>(io_);
  probe_ = std::make_unique<asio::steady_timer>(io_);
  Counters::Get();
}

CometClient::~CometClient() { *alive_ = false; }

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
  auto deadline = std::chrono::system_clock::now() +
                  std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.comet.timeout);
  std::weak_ptr<bool> alive = alive_;
  outstanding_->fetch_add(1);
  auto finish = [this, lane, issue, alive, out = outstanding_](grpc::Status st) {
    out->fetch_sub(1);
    asio::post(io_, [this, lane, issue, alive, st = std::move(st)] {
      if (auto a = alive.lock(); a && *a) OnResult(lane, issue, st);
    });
  };
  switch (c.kind) {
    case Kind::kPush: {
      auto* rpc = new Rpc<goim::comet::PushMsgReq, goim::comet::PushMsgReply>();
      rpc->ctx.set_deadline(deadline);
      rpc->ctx.set_wait_for_ready(true);
      stub_->async()->PushMsg(&rpc->ctx, static_cast<const goim::comet::PushMsgReq*>(c.req.get()),
                              &rpc->reply, [rpc, finish, keep = c.req](grpc::Status st) {
                                delete rpc;
                                finish(std::move(st));
                              });
      break;
    }
    case Kind::kRoom: {
      auto* rpc = new Rpc<goim::comet::BroadcastRoomReq, goim::comet::BroadcastRoomReply>();
      rpc->ctx.set_deadline(deadline);
      rpc->ctx.set_wait_for_ready(true);
      stub_->async()->BroadcastRoom(&rpc->ctx,
                                    static_cast<const goim::comet::BroadcastRoomReq*>(c.req.get()),
                                    &rpc->reply, [rpc, finish, keep = c.req](grpc::Status st) {
                                      delete rpc;
                                      finish(std::move(st));
                                    });
      break;
    }
    case Kind::kBroadcast: {
      auto* rpc = new Rpc<goim::comet::BroadcastReq, goim::comet::BroadcastReply>();
      rpc->ctx.set_deadline(deadline);
      rpc->ctx.set_wait_for_ready(true);
      stub_->async()->Broadcast(&rpc->ctx,
                                static_cast<const goim::comet::BroadcastReq*>(c.req.get()),
                                &rpc->reply, [rpc, finish, keep = c.req](grpc::Status st) {
                                  delete rpc;
                                  finish(std::move(st));
                                });
      break;
    }
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
  auto now = std::chrono::steady_clock::now();
  if (failing_since_ == std::chrono::steady_clock::time_point{}) failing_since_ = now;
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
  l.retry->expires_after(backoff);
  std::weak_ptr<bool> alive = alive_;
  l.retry->async_wait([this, lane, alive](boost::system::error_code ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    if (lanes_[lane].q.empty()) return;  // abandoned: Abandon cleared busy
    Issue(lane);
  });
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
    l.retry->cancel();
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
  probe_->expires_after(std::chrono::seconds(1));
  std::weak_ptr<bool> alive = alive_;
  probe_->async_wait([this, alive](boost::system::error_code ec) {
    auto a = alive.lock();
    if (ec || !a || !*a || abandoned_) return;
    PollRooms([this](bool ok, const goim::comet::RoomsReply&) {
      if (!ok) return Probe();
      up_ = true;
      failing_since_ = {};
      LOG(INFO) << "job: comet back up comet=" << in_.hostname;
    });
  });
}

void CometClient::PollRooms(std::function<void(bool, const goim::comet::RoomsReply&)> done) {
  auto* rpc = new Rpc<goim::comet::RoomsReq, goim::comet::RoomsReply>();
  rpc->ctx.set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.comet.timeout));
  static const goim::comet::RoomsReq kReq;
  std::weak_ptr<bool> alive = alive_;
  outstanding_->fetch_add(1);
  stub_->async()->Rooms(
      &rpc->ctx, &kReq, &rpc->reply,
      [this, rpc, alive, out = outstanding_, done = std::move(done)](grpc::Status st) {
        out->fetch_sub(1);
        asio::post(io_, [rpc, alive, done, ok = st.ok()] {
          if (auto a = alive.lock(); a && *a) done(ok, rpc->reply);
          delete rpc;
        });
      });
}

}  // namespace goim::job
