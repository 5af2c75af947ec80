// logic::LogicCore: the stateless core behind logic's gRPC service and HTTP API. Authenticates
// connections and writes their router mappings (closing a key's older connection on the comet
// it left), turns pushes into goim PushMsg queue messages
// (acknowledged only once the queue accepted them), aggregates online counts reported by the
// comets, and picks comets for clients. Completion callbacks may run on any thread. [thread-safe]
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/logic.pb.h"
#include "logic/authenticator.h"
#include "logic/balancer.h"
#include "logic/config.h"
#include "logic/history_reader.h"
#include "logic/kicker.h"
#include "logic/result.h"
#include "logic/router_client.h"
#include "logic/sender.h"
#include "pkg/queue/queue.h"
#include "pkg/time/clock.h"

namespace goim::logic {

struct RoomCount {
  std::string room_id;
  int32_t count = 0;
};

class LogicCore {
 public:
  // clock: the send path's rate limits (a FakeClock in tests).
  LogicCore(const Config& cfg, queue::Producer* producer, std::unique_ptr<RouterClient> router,
            time::Clock& clock = time::SystemClock());
  ~LogicCore();

  // Room history: clients that ask for it at auth get their request passed to the comet, which
  // reads it back through History. Before serving; without it history requests are ignored.
  void SetHistory(std::shared_ptr<history::Store> store);
  HistoryReader* history() { return history_.get(); }

  // Starts the online aggregation ticker.
  void Start();
  void Stop();

  void Connect(const std::string& server, const std::string& cookie, const std::string& token,
               std::function<void(Result, goim::logic::ConnectReply)> done);
  void Disconnect(int64_t mid, const std::string& key, const std::string& server,
                  std::function<void(Result, bool has)> done);
  void Heartbeat(int64_t mid, const std::string& key, const std::string& server, ResultFn done);
  void RenewOnline(const goim::logic::OnlineReq& req,
                   std::function<void(Result, std::map<std::string, int32_t>)> done);
  // A client's frame the comet does not handle. With send.enabled, op 4 takes the send path
  // (sender.h); anything else is only logged, as goim does. done(reply body for the echo).
  void Receive(const goim::logic::ReceiveReq& req, std::function<void(std::string)> done);
  goim::logic::NodesReply Nodes(const std::string& platform, const std::string& client_ip);
  // A client's room history (README "History"): done(result, reply) on a store thread or at once.
  void History(const goim::logic::HistoryReq& req,
               std::function<void(Result, goim::logic::HistoryReply)> done);
  // Deletes every session of a comet on every router (a dead comet); done may be null.
  void DelServer(const std::string& server, std::function<void(Result, int deleted)> done);

  void PushKeys(int32_t op, std::vector<std::string> keys, std::string msg, ResultFn done);
  void PushMids(int32_t op, std::vector<int64_t> mids, std::string msg, ResultFn done);
  void PushRoom(int32_t op, const std::string& type, const std::string& room, std::string msg,
                ResultFn done);
  // room: the full room key, "type://id".
  void PushRoomKey(int32_t op, const std::string& room, std::string msg, ResultFn done);
  void PushAll(int32_t op, int32_t speed, std::string msg, ResultFn done);

  // Rooms whose key starts with type, by count, descending, at most limit.
  std::vector<RoomCount> OnlineTop(const std::string& type, int limit) const;
  // Counts of type://room for each room (0 when unknown).
  std::map<std::string, int32_t> OnlineRoom(const std::string& type,
                                            const std::vector<std::string>& rooms) const;
  // {ip_count, conn_count} over the comets that reported recently, and goim's comets of a live
  // membership by their discovery metadata. (logic/comets.cc)
  std::pair<int64_t, int64_t> OnlineTotal() const;
  // The member comets with their latest connection counts.
  std::vector<std::pair<discovery::Instance, goim::router::ServerOnline>> Instances() const;
  // The comets from a live membership (etcd), replacing the configured list: a comet that left
  // loses its sessions on every router and its online counts, and no longer appears in
  // /goim/nodes/*; from then on online reports count only for members. (logic/comets.cc)
  void SetComets(std::vector<discovery::Instance> comets);
  std::vector<discovery::Instance> Comets() const;

  // Pulls every router node's comet reports now (the ticker does this every online.tick).
  void RefreshOnline(std::function<void()> done = nullptr);
  const Config& config() const { return cfg_; }
  RouterClient& router() { return *router_; }

 private:
  // After authentication: writes the session (Connect's second half).
  void Register(const std::string& server, AuthToken t,
                std::function<void(Result, goim::logic::ConnectReply)> done);
  void Produce(const goim::logic::PushMsg& m, const std::string& key, ResultFn done);
  // Groups sessions by comet and produces one PUSH message per comet.
  void PushSessions(int32_t op, const std::vector<goim::router::Session>& sessions, size_t asked,
                    const char* what, std::string msg, ResultFn done);
  void ApplyReport(const goim::router::ServerOnline& s);  // caller holds mu_
  void DropReport(const std::string& server);             // caller holds mu_
  bool Member(const std::string& server) const;           // caller holds mu_
  // goim's comet of a live membership, whose counts are its metadata's; else nullptr. [mu_ held]
  const discovery::Instance* MetadataCounted(const std::string& server) const;
  // Connections per comet, for the balancer. [mu_ held]
  std::map<std::string, int64_t> ConnCounts() const;
  // Keys by comet, leaving out (and counting) sessions on comets that left the membership.
  std::map<std::string, std::vector<std::string>> ByLiveComet(
      const std::vector<goim::router::Session>& sessions, const char* what);
  void OnlineLoop();

  Config cfg_;
  queue::Producer* producer_;
  Kicker kicker_;  // before router_: router callbacks use it
  std::unique_ptr<RouterClient> router_;
  Balancer balancer_;
  Authenticator auth_;
  std::unique_ptr<Sender> sender_;          // when send.enabled
  std::unique_ptr<HistoryReader> history_;  // when SetHistory was given a store

  mutable std::mutex mu_;
  std::vector<discovery::Instance> comets_;  // the membership (cfg_.comets until SetComets)
  bool comets_live_ = false;                 // SetComets was called: reports need membership
  std::map<std::string, goim::router::ServerOnline> servers_;  // fresh comet reports
  std::map<std::string, int32_t> rooms_;                       // room -> cluster-wide count

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace goim::logic
