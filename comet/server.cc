#include "comet/server.h"

#include <future>

#include <glog/logging.h>
#include <grpcpp/server_builder.h>
#include <boost/asio/ssl/context.hpp>

#include "comet/stats.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/grpc_server.h"
#include "pkg/net/listen.h"

namespace goim::comet {

namespace {

// Runs f on every loop and waits until all have run it.
void OnEveryLoop(const std::vector<std::unique_ptr<Loop>>& loops,
                 const std::function<void(Loop&)>& f) {
  std::vector<std::future<void>> done;
  for (auto& l : loops) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    asio::post(l->io(), [p, &f, lp = l.get()] {
      f(*lp);
      p->set_value();
    });
  }
  for (auto& d : done) d.wait();
}
}  // namespace

Server::Server(const Config& cfg, time::Clock& clock) : ctx_(std::make_unique<Context>(cfg)) {
  ctx_->clock = &clock;
  ctx_->cfg.env.Resolve();
  ctx_->server_id = ctx_->cfg.env.host;
  Stats::Get();
}

Server::~Server() { Stop(); }

uint16_t Server::Listen(const std::vector<std::string>& addrs, Transport t,
                        std::shared_ptr<asio::ssl::context> tls, const char* key) {
  uint16_t first = 0;
  std::vector<asio::io_context*> ios;
  for (auto& l : loops_) ios.push_back(&l->io());
  for (const auto& addr : addrs) {
    std::vector<std::unique_ptr<tcp::acceptor>> accs;
    try {
      accs = net::ListenAll(ios, addr);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("comet: cannot listen on ") + key + " " + addr + ": " +
                               e.what());
    }
    if (!first) first = accs.front()->local_endpoint().port();
    for (size_t i = 0; i < accs.size(); ++i) loops_[i]->Accept(std::move(accs[i]), t, tls);
    LOG(INFO) << "comet: listening " << key << "=" << addr << " port=" << first;
  }
  return first;
}

void Server::Start() {
  const Config& c = ctx_->cfg;
  ctx_->logic = std::make_unique<LogicClient>(
      c.rpcClient.logic, std::chrono::duration_cast<std::chrono::milliseconds>(c.rpcClient.timeout),
      c.rpcClient.maxInflight);
  pool_ = std::make_unique<net::LoopPool>(c.protocol.loops, "comet");
  for (int i = 0; i < pool_->size(); ++i) {
    loops_.push_back(std::make_unique<Loop>(i, pool_->Get(i), *ctx_));
    ctx_->loops.push_back(loops_.back().get());
  }
  tcp_port_ = Listen(c.tcp.bind, Transport::kTcp, nullptr, "tcp.bind");
  ws_port_ = Listen(c.websocket.bind, Transport::kWs, nullptr, "websocket.bind");
  if (c.websocket.tlsOpen) {
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    try {
      tls->use_certificate_chain_file(c.websocket.certFile);
      tls->use_private_key_file(c.websocket.privateFile, asio::ssl::context::pem);
    } catch (const std::exception& e) {
      throw std::runtime_error("comet: websocket.certFile/privateFile: " + std::string(e.what()));
    }
    wss_port_ = Listen(c.websocket.tlsBind, Transport::kWss, tls, "websocket.tlsBind");
  }
  if (!c.metrics.addr.empty()) {
    metrics_ = std::make_unique<net::HttpServer>(*pool_, net::MetricsHandler(),
                                                 net::HttpServer::Options{});
    try {
      metrics_port_ = metrics_->Listen(c.metrics.addr);
    } catch (const std::exception& e) {
      throw std::runtime_error("comet: cannot listen on metrics.addr " + c.metrics.addr + ": " +
                               e.what());
    }
  }
  pool_->Start();

  service_ = std::make_unique<GrpcService>(*ctx_);
  grpc::ServerBuilder b;
  net::AddGrpcListener(b, c.rpcServer.addr, &grpc_port_);
  b.SetMaxReceiveMessageSize(16 << 20);  // room batches can be large (goim job sends up to 16 MiB)
  b.RegisterService(service_.get());
  grpc_ = b.BuildAndStart();
  if (!grpc_ || grpc_port_ == 0)
    throw std::runtime_error("comet: cannot listen on rpcServer.addr " + c.rpcServer.addr);
  LOG(INFO) << "comet: serving goim.comet.Comet server_id=" << ctx_->server_id
            << " grpc port=" << grpc_port_ << " loops=" << loops_.size();

  Context* ctx = ctx_.get();
  metrics::Registry::Default().NewCallbackGauge(
      "goim_comet_rooms", "Rooms with members on this comet",
      [ctx] { return static_cast<double>(ctx->rooms.size()); });
  ScheduleReport(std::chrono::nanoseconds(0));
  started_ = true;
}

void Server::ScheduleReport(std::chrono::nanoseconds after) {
  asio::post(loops_.front()->io(), [this, after] {
    if (stopped_) return;
    time::LoopTimer& t = loops_.front()->timers();
    t.Del(report_timer_);  // one report chain, also when ReportOnline was called by hand
    report_timer_ = t.Add(after, &Server::OnReport, this);
  });
}

void Server::OnReport(void* self) {
  auto* s = static_cast<Server*>(self);
  s->report_timer_ = time::TimerId{};
  s->ReportOnline();
}

void Server::ReportOnline() {
  trimmer_.Request();  // off this loop: see bytes::Trimmer
  goim::logic::OnlineReq req;
  req.set_server(ctx_->server_id);
  for (const auto& [room, n] : ctx_->rooms.Counts()) (*req.mutable_roomcount())[room] = n;
  req.set_conncount(static_cast<int32_t>(ctx_->buckets.ChannelCount()));
  req.set_ipcount(static_cast<int32_t>(ctx_->buckets.IpCount()));
  Context* ctx = ctx_.get();
  auto interval = ctx_->cfg.online.interval;
  ctx_->logic->RenewOnline(req, [this, ctx, interval](const grpc::Status& st,
                                                      goim::logic::OnlineReply& reply) {
    if (!st.ok()) {
      LOG_EVERY_T(WARNING, 10) << "comet: renew online failed error(" << st.error_message() << ")";
      return ScheduleReport(std::chrono::seconds(1));  // goim retries after 1 s
    }
    std::map<std::string, int32_t> all(reply.allroomcount().begin(), reply.allroomcount().end());
    ctx->rooms.SetAllOnline(all);
    ScheduleReport(interval);
  });
}

void Server::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (auto& l : loops_) l->CloseAcceptors();
  if (metrics_) metrics_->Close();
  asio::post(loops_.front()->io(), [this] { loops_.front()->timers().Del(report_timer_); });
  grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  grpc_->Wait();
  // Close every connection (each is disconnected from logic); the pool's Stop then runs the
  // aborted I/O on each loop and frees the channels. The closes must have run (their Disconnect
  // calls begun) before WaitIdle looks: a call begun later would call back into a destroyed
  // LogicClient.
  std::vector<std::future<void>> closed;
  for (auto& l : loops_) {
    auto p = std::make_shared<std::promise<void>>();
    closed.push_back(p->get_future());
    l->PostCloseAll([p] { p->set_value(); });
  }
  for (auto& c : closed) c.wait();
  if (!ctx_->logic->WaitIdle(std::chrono::seconds(3)))
    LOG(WARNING) << "comet: logic calls still in flight at exit";
  pool_->Stop();
  loops_.clear();
  ctx_->loops.clear();
  LOG(INFO) << "comet: stopped server_id=" << ctx_->server_id;
}

}  // namespace goim::comet
