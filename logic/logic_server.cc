#include "logic/logic_server.h"

#include <glog/logging.h>
#include <grpcpp/server_builder.h>

#include "pkg/net/grpc_server.h"
#include "pkg/queue/kafka.h"

namespace goim::logic {

LogicServer::LogicServer(const Config& cfg, queue::Producer* producer, time::Clock& clock,
                         std::shared_ptr<history::Store> history)
    : cfg_(cfg) {
  if (cfg_.history.enabled && !history) {
    std::string err;
    history = history::Open(cfg_.history, &err);
    if (!history) throw std::runtime_error("logic: " + err);
  }
  if (!producer) {
    own_producer_ = queue::NewKafkaProducer(cfg_.KafkaOptions());
    producer = own_producer_.get();
  }
  auto router = std::make_unique<RouterClient>(
      cfg_.router.nodes, std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.router.timeout),
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.router.syncWait));
  core_ = std::make_unique<LogicCore>(cfg_, producer, std::move(router), clock);
  if (cfg_.history.enabled) core_->SetHistory(std::move(history));
  grpc_service_ = std::make_unique<GrpcService>(*core_);
  http_api_ = std::make_unique<HttpApi>(*core_);
}

LogicServer::~LogicServer() { Stop(); }

void LogicServer::Start() {
  loops_ = std::make_unique<net::LoopPool>(cfg_.httpServer.threads, "logic-http");
  net::HttpServer::Options ho;
  ho.max_body = static_cast<size_t>(cfg_.httpServer.maxBodySize);  // larger bodies: 413, code -400
  ho.max_conns = cfg_.httpServer.maxConns;                         // more connections: 503
  HttpApi* api = http_api_.get();
  http_ = std::make_unique<net::HttpServer>(
      *loops_,
      [api](net::HttpRequest&& req, net::HttpReply reply) {
        api->Handle(std::move(req), std::move(reply));
      },
      ho);
  try {
    http_port_ = http_->Listen(cfg_.httpServer.addr);
  } catch (const std::exception& e) {
    throw std::runtime_error("logic: cannot listen on httpServer.addr " + cfg_.httpServer.addr +
                             ": " + e.what());
  }
  loops_->Start();

  grpc::ServerBuilder b;
  net::AddGrpcListener(b, cfg_.rpcServer.addr, &grpc_port_);
  b.RegisterService(grpc_service_.get());
  grpc_ = b.BuildAndStart();
  if (!grpc_ || grpc_port_ == 0)
    throw std::runtime_error("logic: cannot listen on rpcServer.addr " + cfg_.rpcServer.addr);
  core_->Start();
  LOG(INFO) << "logic: serving http=" << cfg_.httpServer.addr << " (port " << http_port_
            << ") grpc=" << cfg_.rpcServer.addr << " (port " << grpc_port_ << ")";
}

void LogicServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->Close();
  if (grpc_) {
    grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc_->Wait();
  }
  core_->Stop();
  if (loops_) loops_->Stop();
  if (own_producer_) own_producer_->Flush(std::chrono::seconds(5));
}

}  // namespace goim::logic
