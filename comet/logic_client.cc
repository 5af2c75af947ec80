#include "comet/logic_client.h"

#include <glog/logging.h>
#include <grpcpp/create_channel.h>

#include "comet/stats.h"
#include "pkg/log/log.h"

namespace goim::comet {

std::string LogicTarget(const std::vector<std::string>& addrs) {
  if (addrs.size() == 1) return addrs.front();
  std::string t = "ipv4:";
  for (size_t i = 0; i < addrs.size(); ++i) t += (i ? "," : "") + addrs[i];
  return t;
}

LogicClient::LogicClient(const std::vector<std::string>& addrs, std::chrono::milliseconds timeout,
                         int max_inflight)
    : timeout_(timeout), max_inflight_(max_inflight > 0 ? max_inflight : 1) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
  stub_ = goim::logic::Logic::NewStub(
      grpc::CreateCustomChannel(LogicTarget(addrs), grpc::InsecureChannelCredentials(), args));
}

void LogicClient::Admit(std::function<void()> start) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_ >= max_inflight_) {
      waiting_.push_back(std::move(start));
      return;
    }
    ++running_;
  }
  start();
}

void LogicClient::Release() {
  std::function<void()> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiting_.empty()) {
      --running_;
      return;
    }
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  next();  // takes over the slot
}

template <class Req, class Reply>
void LogicClient::Call(
    net::AsyncMethod<Async, Req, Reply> method, std::type_identity_t<Req> req,
    std::type_identity_t<std::function<void(const grpc::Status&, Reply&)>> done) {
  calls_.Begin();
  Admit([this, method, req = std::move(req), done = std::move(done)]() mutable {
    // The deadline starts when the call goes out; a logic that is (re)starting is waited for,
    // up to the deadline, instead of failing at once.
    net::UnaryCall(stub_->async(), method, std::move(req), {timeout_},
                   [this, done = std::move(done)](const grpc::Status& st, Reply& reply) {
                     if (!st.ok()) Stats::Get().logic_errors->Inc();
                     if (done) done(st, reply);
                     Release();
                     calls_.End();
                   });
  });
}

void LogicClient::Connect(
    const std::string& server, const std::string& cookie, const std::string& token,
    std::function<void(const grpc::Status&, goim::logic::ConnectReply&)> done) {
  goim::logic::ConnectReq req;
  req.set_server(server);
  req.set_cookie(cookie);
  req.set_token(token);
  Call(&Async::Connect, std::move(req), std::move(done));
}

void LogicClient::Disconnect(int64_t mid, const std::string& key, const std::string& server) {
  goim::logic::DisconnectReq req;
  req.set_mid(mid);
  req.set_key(key);
  req.set_server(server);
  Call(&Async::Disconnect, std::move(req),
       [key](const grpc::Status& st, goim::logic::DisconnectReply&) {
         if (!st.ok()) {
           LOG_EVERY_T(WARNING, 1) << "comet: logic disconnect failed key=" << log::Printable(key)
                                   << " error(" << st.error_message() << ")";
         }
       });
}

void LogicClient::Heartbeat(int64_t mid, const std::string& key, const std::string& server,
                            std::function<void(bool)> done) {
  goim::logic::HeartbeatReq req;
  req.set_mid(mid);
  req.set_key(key);
  req.set_server(server);
  Call(&Async::Heartbeat, std::move(req),
       [done = std::move(done)](const grpc::Status& st, goim::logic::HeartbeatReply&) {
         done(st.ok());
       });
}

void LogicClient::RenewOnline(
    const goim::logic::OnlineReq& req,
    std::function<void(const grpc::Status&, goim::logic::OnlineReply&)> done) {
  Call(&Async::RenewOnline, req, std::move(done));
}

void LogicClient::Receive(int64_t mid, const std::string& key, const std::string& room, int32_t ver,
                          int32_t op, int32_t seq, const std::string& body,
                          std::function<void(bool, std::string)> done) {
  goim::logic::ReceiveReq req;
  req.set_mid(mid);
  req.set_key(key);
  req.set_roomid(room);
  req.mutable_proto()->set_ver(ver);
  req.mutable_proto()->set_op(op);
  req.mutable_proto()->set_seq(seq);
  req.mutable_proto()->set_body(body);
  Call(&Async::Receive, std::move(req),
       [done = std::move(done)](const grpc::Status& st, goim::logic::ReceiveReply& reply) {
         if (!st.ok()) {
           LOG_EVERY_T(WARNING, 1)
               << "comet: logic receive failed error(" << st.error_message() << ")";
         }
         done(st.ok(), std::move(*reply.mutable_body()));
       });
}

void LogicClient::History(
    const std::string& room, const goim::logic::HistoryAsk& ask,
    std::function<void(const grpc::Status&, goim::logic::HistoryReply&)> done) {
  goim::logic::HistoryReq req;
  req.set_roomid(room);
  *req.mutable_ask() = ask;
  Call(&Async::History, std::move(req), std::move(done));
}

}  // namespace goim::comet
