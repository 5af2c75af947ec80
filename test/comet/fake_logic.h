// An in-process goim.logic.Logic for comet tests: Connect trusts goim's JSON token (and refuses
// tokens containing "deny"), and every call is recorded.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <nlohmann/json.hpp>

#include "api/logic.grpc.pb.h"
#include "pkg/json/json.h"
#include "pkg/net/grpc_reply.h"

namespace goim::testing {

class FakeLogic final : public goim::logic::Logic::CallbackService {
 public:
  std::atomic<int64_t> heartbeat_ns{60LL * 1000000000};
  std::mutex mu;
  std::vector<std::string> connects, disconnects, heartbeats;
  std::vector<std::pair<int64_t, int32_t>> receives;  // mid, op
  std::vector<std::string> receive_bodies;
  std::vector<std::pair<std::string, std::string>> receive_senders;  // key, room
  std::string receive_reply;  // ReceiveReply.body for every Receive (under mu)
  std::vector<goim::logic::OnlineReq> reports;
  std::map<std::string, int32_t> all_room_count;
  // While set, Connect (Receive) replies wait until ReleaseHeld() (a slow logic).
  std::atomic<bool> hold_connects{false};
  std::atomic<bool> hold_receives{false};
  std::vector<std::pair<grpc::ServerUnaryReactor*, grpc::Status>> held;  // under mu

  void ReleaseHeld() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [r, st] : held) r->Finish(st);
    held.clear();
  }

  void Start() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  void Stop() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  size_t Count(std::vector<std::string>& v) {
    std::lock_guard<std::mutex> lock(mu);
    return v.size();
  }

  grpc::ServerUnaryReactor* Connect(grpc::CallbackServerContext* ctx,
                                    const goim::logic::ConnectReq* req,
                                    goim::logic::ConnectReply* reply) override {
    json::Json v;
    std::string err;
    grpc::Status st;
    if (req->token().find("deny") != std::string::npos) {
      st = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "denied");
    } else if (!json::Parse(req->token(), &v, &err) || !v.is_object()) {
      st = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "token: not JSON");
    } else {
      reply->set_mid(v.value("mid", int64_t{0}));
      reply->set_key(v.value("key", ""));
      if (reply->key().empty()) reply->set_key("gen-" + std::to_string(++next_key_));
      reply->set_roomid(v.value("room_id", ""));
      for (const auto& op : v.value("accepts", json::Json::array()))
        reply->add_accepts(op.get<int32_t>());
      if (auto c = v.find("compress"); c != v.end() && c->is_string())
        reply->set_compress(c->get<std::string>());
      reply->set_heartbeat(heartbeat_ns.load());
      std::lock_guard<std::mutex> lock(mu);
      connects.push_back(reply->key() + "|" + req->server() + "|" + req->cookie());
    }
    auto* r = ctx->DefaultReactor();
    if (hold_connects) {
      std::lock_guard<std::mutex> lock(mu);
      held.emplace_back(r, st);
      return r;
    }
    r->Finish(st);
    return r;
  }
  grpc::ServerUnaryReactor* Disconnect(grpc::CallbackServerContext* ctx,
                                       const goim::logic::DisconnectReq* req,
                                       goim::logic::DisconnectReply* reply) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      disconnects.push_back(req->key());
    }
    reply->set_has(true);
    return net::FinishNow(ctx);
  }
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const goim::logic::HeartbeatReq* req,
                                      goim::logic::HeartbeatReply*) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      heartbeats.push_back(req->key());
    }
    return net::FinishNow(ctx);
  }
  grpc::ServerUnaryReactor* RenewOnline(grpc::CallbackServerContext* ctx,
                                        const goim::logic::OnlineReq* req,
                                        goim::logic::OnlineReply* reply) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      reports.push_back(*req);
      for (const auto& [room, n] : all_room_count) (*reply->mutable_allroomcount())[room] = n;
    }
    return net::FinishNow(ctx);
  }
  grpc::ServerUnaryReactor* Receive(grpc::CallbackServerContext* ctx,
                                    const goim::logic::ReceiveReq* req,
                                    goim::logic::ReceiveReply* reply) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      receives.emplace_back(req->mid(), req->proto().op());
      receive_bodies.push_back(req->proto().body());
      receive_senders.emplace_back(req->key(), req->roomid());
      reply->set_body(receive_reply);
      if (hold_receives) {
        grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
        held.emplace_back(r, grpc::Status::OK);
        return r;
      }
    }
    return net::FinishNow(ctx);
  }
  grpc::ServerUnaryReactor* Nodes(grpc::CallbackServerContext* ctx, const goim::logic::NodesReq*,
                                  goim::logic::NodesReply*) override {
    return net::FinishNow(ctx);
  }

 private:
  int port_ = 0;
  std::atomic<int> next_key_{0};
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace goim::testing
