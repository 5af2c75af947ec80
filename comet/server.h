// comet::Server: a running comet: N event loops with their listeners (TCP, WebSocket, WSS), the
// goim.comet.Comet gRPC service, the online reporter, and /metrics. Used by cmd/comet and
// standalone.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <grpcpp/server.h>

#include "comet/config.h"
#include "comet/context.h"
#include "comet/grpc_service.h"
#include "comet/loop.h"
#include "pkg/bytes/trimmer.h"
#include "pkg/net/http_server.h"
#include "pkg/net/loop_pool.h"

namespace goim::comet {

class Server {
 public:
  // clock: where the loops' timers take their time (a FakeClock in tests).
  explicit Server(const Config& cfg, time::Clock& clock = time::SystemClock());
  ~Server();

  // Binds everything; throws std::runtime_error naming the address that failed.
  void Start();
  // Stops accepting, closes every connection (each one is disconnected from logic), stops.
  void Stop();

  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t ws_port() const { return ws_port_; }
  uint16_t wss_port() const { return wss_port_; }
  int grpc_port() const { return grpc_port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  Context& ctx() { return *ctx_; }
  // Reports online counts to logic now (the reporter does it every online.interval).
  void ReportOnline();

 private:
  uint16_t Listen(const std::vector<std::string>& addrs, Transport t,
                  std::shared_ptr<asio::ssl::context> tls, const char* key);
  void ScheduleReport(std::chrono::nanoseconds after);
  static void OnReport(void* self);

  std::unique_ptr<Context> ctx_;
  std::unique_ptr<net::LoopPool> pool_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<GrpcService> service_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<net::HttpServer> metrics_;
  time::TimerId report_timer_;                        // on loop 0's timers
  bytes::Trimmer trimmer_{std::chrono::seconds(10)};  // asked at each online report
  uint16_t tcp_port_ = 0, ws_port_ = 0, wss_port_ = 0, metrics_port_ = 0;
  int grpc_port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace goim::comet
