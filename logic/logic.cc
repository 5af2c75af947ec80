#include "logic/logic.h"

#include <algorithm>
#include <chrono>

#include <glog/logging.h>

#include "logic/auth.h"
#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/join.h"
#include "pkg/protocol/operation.h"

namespace goim::logic {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* connect_ok =
      r.NewCounter("goim_logic_connect_total{result=\"ok\"}", "Connect calls by result");
  metrics::Counter* connect_router =
      r.NewCounter("goim_logic_connect_total{result=\"router_error\"}", "Connect calls by result");
  metrics::Counter* disconnect = r.NewCounter("goim_logic_disconnect_total", "Disconnect calls");
  metrics::Counter* heartbeat =
      r.NewCounter("goim_logic_heartbeat_total", "Heartbeat calls (session renewals)");
  metrics::Counter* renew =
      r.NewCounter("goim_logic_renew_online_total", "RenewOnline reports from comets");
  metrics::Counter* receive =
      r.NewCounter("goim_logic_receive_total", "Client messages handed to the receiver");
  metrics::Counter* push_keys =
      r.NewCounter("goim_logic_push_total{type=\"keys\"}", "Push requests by type");
  metrics::Counter* push_mids =
      r.NewCounter("goim_logic_push_total{type=\"mids\"}", "Push requests by type");
  metrics::Counter* push_room =
      r.NewCounter("goim_logic_push_total{type=\"room\"}", "Push requests by type");
  metrics::Counter* push_all =
      r.NewCounter("goim_logic_push_total{type=\"all\"}", "Push requests by type");
  metrics::Counter* produced =
      r.NewCounter("goim_logic_queue_produced_total", "PushMsg messages the queue accepted");
  metrics::Counter* produce_failed =
      r.NewCounter("goim_logic_queue_failed_total", "PushMsg messages the queue refused");
  metrics::Counter* missing =
      r.NewCounter("goim_logic_push_no_session_total", "Pushed keys or mids with no live session");
  metrics::Counter* dead_comet =
      r.NewCounter("goim_logic_push_dead_comet_total",
                   "Pushed sessions not produced: their comet had left the membership (etcd)");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A kick is one small call to a comet; nobody waits for it.
constexpr std::chrono::milliseconds kKickTimeout{1000};

}  // namespace

LogicCore::LogicCore(const Config& cfg, queue::Producer* producer,
                     std::unique_ptr<RouterClient> router, time::Clock& clock)
    : cfg_(cfg),
      producer_(producer),
      kicker_(cfg_.comets, kKickTimeout),
      router_(std::move(router)),
      auth_(cfg_.auth),
      comets_(cfg.comets) {
  Counters::Get();
  balancer_.Update(comets_, {});
  if (cfg_.send.enabled)
    sender_ =
        std::make_unique<Sender>(cfg_.send, clock, std::bind_front(&LogicCore::PushRoomKey, this));
}

LogicCore::~LogicCore() {
  Stop();
  // Waits for the router calls in flight now: their callbacks use mu_ and the maps, which are
  // destroyed before router_ would be.
  router_.reset();
}

void LogicCore::Start() {
  ticker_ = std::thread([this] { OnlineLoop(); });
}

void LogicCore::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  // Hook calls still pending fail now; their callbacks use the router and the queue.
  auth_.Stop();
  if (sender_) sender_->Stop();
}

void LogicCore::OnlineLoop() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    lock.unlock();
    auto finished = std::make_shared<std::promise<void>>();
    RefreshOnline([finished] { finished->set_value(); });
    // Bounded by the router deadline; never two refreshes at once.
    finished->get_future().wait();
    lock.lock();
    stop_cv_.wait_for(lock, cfg_.online.tick, [this] { return stop_; });
  }
}

void LogicCore::RefreshOnline(std::function<void()> done) {
  router_->Online([this, done](const std::string& err,
                               std::vector<goim::router::ServerOnline> reports) {
    if (!err.empty()) {
      LOG_EVERY_T(WARNING, 10) << "logic: online refresh failed error(" << err << ")";
    } else {
      std::map<std::string, int64_t> conns;
      std::vector<std::string> gone;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // The routers' snapshot may predate a report this logic applied a moment ago (or miss
        // it, when the router restarted): keep a local report that is newer, or younger than two
        // ticks when the routers lack it.
        std::map<std::string, goim::router::ServerOnline> next;
        for (auto& s : reports) {
          if (Member(s.server())) next[s.server()] = std::move(s);
        }
        int64_t keep_after =
            UnixMillis() -
            2 * std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.online.tick).count();
        for (auto& [server, local] : servers_) {
          auto it = next.find(server);
          if (it == next.end() ? local.updated_ms() >= keep_after
                               : local.updated_ms() > it->second.updated_ms())
            next[server] = local;
        }
        // A comet whose report went stale at the routers (it stopped reporting: dead, or cut off)
        // loses its sessions, so pushes stop looking for it (goim v1: /1/server/del). With a live
        // membership its lease says that instead: a router that restarted has lost the reports
        // too, and the live comets it held would lose their sessions everywhere.
        for (const auto& [server, local] : servers_) {
          if (!comets_live_ && !next.count(server)) gone.push_back(server);
        }
        servers_.clear();
        rooms_.clear();
        for (const auto& [server, s] : next) ApplyReport(s);
        conns = ConnCounts();
      }
      balancer_.Update(Comets(), conns);
      for (const auto& server : gone) {
        LOG(WARNING) << "logic: comet stopped reporting, deleting its sessions server=" << server;
        DelServer(server, nullptr);
      }
    }
    if (done) done();
  });
}

void LogicCore::ApplyReport(const goim::router::ServerOnline& s) {
  auto it = servers_.find(s.server());
  if (it != servers_.end()) {
    for (const auto& [room, n] : it->second.room_count()) {
      auto r = rooms_.find(room);
      if (r == rooms_.end()) continue;
      r->second -= n;
      if (r->second <= 0) rooms_.erase(r);
    }
  }
  for (const auto& [room, n] : s.room_count()) {
    if (n > 0) rooms_[room] += n;
  }
  servers_[s.server()] = s;
}

void LogicCore::Connect(const std::string& server, const std::string& cookie,
                        const std::string& token,
                        std::function<void(Result, goim::logic::ConnectReply)> done) {
  // A refusal is counted and logged by auth_.
  auth_.Authenticate(server, cookie, token,
                     [this, server, done = std::move(done)](std::string err, AuthToken t) mutable {
                       if (!err.empty()) return done({kRequestErr, err}, {});
                       Register(server, std::move(t), std::move(done));
                     });
}

void LogicCore::Register(const std::string& server, AuthToken t,
                         std::function<void(Result, goim::logic::ConnectReply)> done) {
  if (t.key.empty()) t.key = NewUuid();
  goim::logic::ConnectReply reply;
  reply.set_mid(t.mid);
  reply.set_key(t.key);
  reply.set_roomid(t.room_id);
  for (int32_t op : t.accepts) reply.add_accepts(op);
  reply.set_compress(t.compress);
  if (history_ && t.history.asked) {
    goim::logic::HistoryAsk* ask = reply.mutable_history();
    ask->set_last(std::max<int64_t>(t.history.last, 0));
    ask->set_position(t.history.position);
    ask->set_offset(t.history.offset);
    ask->set_epoch(t.history.epoch);
    ask->set_bad(t.history.bad);
  }
  reply.set_heartbeat(
      std::chrono::duration_cast<std::chrono::nanoseconds>(cfg_.node.heartbeat).count() *
      cfg_.node.heartbeatMax);
  goim::router::Session s;
  s.set_mid(t.mid);
  s.set_key(t.key);
  s.set_server(server);
  // Unlike goim, a connection whose session cannot be written is refused: pushes could never
  // find it.
  router_->Put(s, [this, done = std::move(done), reply = std::move(reply), server](
                      const std::string& err, RouterClient::PutResult put) {
    if (!err.empty()) {
      Counters::Get().connect_router->Inc();
      LOG_EVERY_T(WARNING, 1) << "logic: connect failed key=" << log::Printable(reply.key())
                              << " server=" << server << " error(" << err << ")";
      return done({kServerErr, err}, {});
    }
    Counters::Get().connect_ok->Inc();
    VLOG(1) << "logic: conn connected key=" << log::Printable(reply.key()) << " server=" << server
            << " mid=" << reply.mid();
    // The key was on another comet: its connection there is the older one (goim closes it
    // when both are on one comet; the comet does that itself).
    for (const auto& m : put.moved) {
      if (m.server() != server) kicker_.Kick(m.key(), m.server(), server);
    }
    done({}, reply);
  });
}

void LogicCore::Disconnect(int64_t mid, const std::string& key, const std::string& server,
                           std::function<void(Result, bool)> done) {
  Counters::Get().disconnect->Inc();
  goim::router::Session s;
  s.set_mid(mid);
  s.set_key(key);
  s.set_server(server);
  router_->Del(s, [done = std::move(done)](const std::string& err, int deleted) {
    if (!err.empty()) return done({kServerErr, err}, false);
    done({}, deleted > 0);
  });
}

void LogicCore::Heartbeat(int64_t mid, const std::string& key, const std::string& server,
                          ResultFn done) {
  Counters::Get().heartbeat->Inc();
  goim::router::Session s;
  s.set_mid(mid);
  s.set_key(key);
  s.set_server(server);
  // Put renews the mappings and re-adds them when they expired meanwhile.
  // A renewal that moves the key back (a stale connection renewing) kicks nobody.
  router_->Put(s, [done = std::move(done)](const std::string& err, RouterClient::PutResult) {
    done(err.empty() ? Result{} : Result{kServerErr, err});
  });
}

void LogicCore::RenewOnline(const goim::logic::OnlineReq& req,
                            std::function<void(Result, std::map<std::string, int32_t>)> done) {
  Counters::Get().renew->Inc();
  goim::router::ServerOnline s;
  s.set_server(req.server());
  for (const auto& [room, n] : req.roomcount()) (*s.mutable_room_count())[room] = n;
  s.set_conn_count(req.conncount());
  s.set_ip_count(req.ipcount());
  s.set_updated_ms(UnixMillis());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Member(s.server())) ApplyReport(s);
  }
  router_->PutOnline(s, [this, done = std::move(done)](const std::string& err) {
    if (!err.empty()) return done({kServerErr, err}, {});
    std::map<std::string, int32_t> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all = rooms_;
    }
    done({}, std::move(all));
  });
}

void LogicCore::Receive(const goim::logic::ReceiveReq& req, std::function<void(std::string)> done) {
  Counters::Get().receive->Inc();
  const goim::protocol::Proto& p = req.proto();
  if (sender_ && p.op() == protocol::kOpSendMsg)
    return sender_->Send(req.mid(), req.key(), req.roomid(), p.body(), std::move(done));
  VLOG(1) << "logic: receive mid=" << req.mid() << " op=" << p.op() << " bytes=" << p.body().size();
  done("");
}

void LogicCore::DelServer(const std::string& server, std::function<void(Result, int)> done) {
  router_->DelServer(server, [server, done = std::move(done)](const std::string& err, int deleted) {
    if (!err.empty()) {
      LOG_EVERY_T(WARNING, 1) << "logic: del server failed server=" << server << " error(" << err
                              << ")";
    } else {
      LOG(INFO) << "logic: del server server=" << server << " sessions=" << deleted;
    }
    if (done) done(err.empty() ? Result{} : Result{kServerErr, err}, deleted);
  });
}

goim::logic::NodesReply LogicCore::Nodes(const std::string& platform,
                                         const std::string& client_ip) {
  goim::logic::NodesReply r;
  r.set_domain(cfg_.node.defaultDomain);
  r.set_tcp_port(cfg_.node.tcpPort);
  r.set_ws_port(cfg_.node.wsPort);
  r.set_wss_port(cfg_.node.wssPort);
  r.set_heartbeat(static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(cfg_.node.heartbeat).count()));
  r.set_heartbeat_max(cfg_.node.heartbeatMax);
  auto* b = r.mutable_backoff();
  b->set_max_delay(cfg_.backoff.maxDelay);
  b->set_base_delay(cfg_.backoff.baseDelay);
  b->set_factor(static_cast<float>(cfg_.backoff.factor));
  b->set_jitter(static_cast<float>(cfg_.backoff.jitter));
  // goim maps the client IP to a region with a geolocation stub that always answers "", so the
  // region gain never applies; the same here (client_ip is accepted for a future lookup).
  (void)client_ip;
  std::vector<std::string> domains, addrs;
  balancer_.NodeAddrs("", cfg_.node.hostDomain, cfg_.node.regionWeight, &domains, &addrs);
  for (const auto& n : platform == "web" ? domains : addrs) r.add_nodes(n);
  if (r.nodes_size() == 0) r.add_nodes(cfg_.node.defaultDomain);
  return r;
}

void LogicCore::Produce(const goim::logic::PushMsg& m, const std::string& key, ResultFn done) {
  std::string bytes;
  m.SerializeToString(&bytes);
  producer_->Produce(key, std::move(bytes), [done = std::move(done)](const std::string& err) {
    if (!err.empty()) {
      Counters::Get().produce_failed->Inc();
      return done({kServerErr, err});
    }
    Counters::Get().produced->Inc();
    done({});
  });
}

void LogicCore::PushSessions(int32_t op, const std::vector<goim::router::Session>& sessions,
                             size_t asked, const char* what, std::string msg, ResultFn done) {
  std::map<std::string, std::vector<std::string>> by_server = ByLiveComet(sessions, what);
  if (sessions.size() < asked) {
    Counters::Get().missing->Inc(asked - sessions.size());
    VLOG(1) << "logic: push " << what << " without session count=" << asked - sessions.size();
  }
  // One produce per comet; done gets the first failure (every one is kServerErr).
  auto join = net::Join<>::Make(by_server.size(),
                                [done = std::move(done)](const std::string& err, std::monostate) {
                                  done(err.empty() ? Result{} : Result{kServerErr, err});
                                });
  for (auto& [server, keys] : by_server) {
    goim::logic::PushMsg m;
    m.set_type(goim::logic::PushMsg::PUSH);
    m.set_operation(op);
    m.set_server(server);
    for (auto& k : keys) m.add_keys(k);
    m.set_msg(msg);
    Produce(m, keys.front(), [join](Result r) { join->Report(r.ok() ? "" : r.message); });
  }
}

void LogicCore::PushKeys(int32_t op, std::vector<std::string> keys, std::string msg,
                         ResultFn done) {
  Counters::Get().push_keys->Inc();
  size_t asked = keys.size();
  router_->GetKeys(
      keys, [this, op, asked, msg = std::move(msg), done = std::move(done)](
                const std::string& err, std::vector<goim::router::Session> sessions) mutable {
        if (!err.empty()) return done({kServerErr, err});
        PushSessions(op, sessions, asked, "keys", std::move(msg), std::move(done));
      });
}

void LogicCore::PushMids(int32_t op, std::vector<int64_t> mids, std::string msg, ResultFn done) {
  Counters::Get().push_mids->Inc();
  router_->GetMids(
      mids, [this, op, mids, msg = std::move(msg), done = std::move(done)](
                const std::string& err, std::vector<goim::router::Session> sessions) mutable {
        if (!err.empty()) return done({kServerErr, err});
        size_t found_mids = 0;
        for (int64_t m : mids) {
          for (const auto& s : sessions) {
            if (s.mid() == m) {
              ++found_mids;
              break;
            }
          }
        }
        // "asked" in sessions terms: every found session plus one per mid without any.
        PushSessions(op, sessions, sessions.size() + (mids.size() - found_mids), "mids",
                     std::move(msg), std::move(done));
      });
}

void LogicCore::PushRoom(int32_t op, const std::string& type, const std::string& room,
                         std::string msg, ResultFn done) {
  Counters::Get().push_room->Inc();
  PushRoomKey(op, type + "://" + room, std::move(msg), std::move(done));
}

void LogicCore::PushRoomKey(int32_t op, const std::string& room, std::string msg, ResultFn done) {
  goim::logic::PushMsg m;
  m.set_type(goim::logic::PushMsg::ROOM);
  m.set_operation(op);
  m.set_room(room);
  m.set_msg(std::move(msg));
  Produce(m, m.room(), std::move(done));
}

void LogicCore::PushAll(int32_t op, int32_t speed, std::string msg, ResultFn done) {
  Counters::Get().push_all->Inc();
  goim::logic::PushMsg m;
  m.set_type(goim::logic::PushMsg::BROADCAST);
  m.set_operation(op);
  m.set_speed(speed);
  m.set_msg(std::move(msg));
  Produce(m, std::to_string(op), std::move(done));
}

}  // namespace goim::logic
