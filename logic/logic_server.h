// logic::LogicServer: a running logic: the HTTP API on httpServer.threads event loops, the
// goim.logic.Logic gRPC service, the router client and the queue producer (Kafka unless one is
// handed in, as standalone does with the embedded queue).
#pragma once

#include <memory>

#include <grpcpp/server.h>

#include "logic/config.h"
#include "logic/grpc_service.h"
#include "logic/http_api.h"
#include "logic/logic.h"
#include "pkg/net/http_server.h"
#include "pkg/net/loop_pool.h"

namespace goim::logic {

class LogicServer {
 public:
  // producer == nullptr: a Kafka producer from cfg.kafka. clock: the send path's rate limits.
  // history: the room history store when history.enabled (nullptr: opened from cfg.history;
  // std::runtime_error when it cannot be, e.g. Redis unreachable).
  LogicServer(const Config& cfg, queue::Producer* producer = nullptr,
              time::Clock& clock = time::SystemClock(),
              std::shared_ptr<history::Store> history = nullptr);
  ~LogicServer();

  // Binds the HTTP and gRPC addresses; throws std::runtime_error on failure.
  void Start();
  void Stop();
  uint16_t http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  LogicCore& core() { return *core_; }

 private:
  Config cfg_;
  std::unique_ptr<queue::Producer> own_producer_;
  std::unique_ptr<LogicCore> core_;
  std::unique_ptr<GrpcService> grpc_service_;
  std::unique_ptr<HttpApi> http_api_;
  std::unique_ptr<net::LoopPool> loops_;
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<grpc::Server> grpc_;
  uint16_t http_port_ = 0;
  int grpc_port_ = 0;
  bool stopped_ = false;
};

}  // namespace goim::logic
