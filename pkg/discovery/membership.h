// discovery::Backend: the interface every membership source offers (static lists, etcd, bilibili
// discovery): a node registers itself (and keeps its record fresh), and watches the instances of
// an application.
// Services hold a Backend and never know which one it is; NewBackend picks it from the config.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pkg/conf/env.h"
#include "pkg/discovery/discovery.h"

namespace goim::discovery {

// This node's record in the membership; leaves it when closed or destroyed. [thread-safe]
class Registration {
 public:
  virtual ~Registration() = default;
  // Publishes changed metadata (connection counts, offline, weight).
  virtual void Update(const Instance& in) = 0;
  // Whether the record is live: false once the node could not renew it for a whole TTL (the
  // others have dropped it by then), true again when it is back.
  virtual bool healthy() const = 0;
  // Leaves the membership now.
  virtual void Close() = 0;
};

// The instances of one application, kept current. [thread-safe]
class Watch {
 public:
  // The whole current list, sorted by hostname.
  using Fn = std::function<void(const std::vector<Instance>&)>;
  virtual ~Watch() = default;
  virtual std::vector<Instance> Current() const = 0;
  // Whether the list is known current (false: the store is unreachable and this is the last
  // list seen).
  virtual bool connected() const = 0;
};

class Backend {
 public:
  using HealthFn = std::function<void(bool healthy)>;
  virtual ~Backend() = default;
  // Registers `in`; health runs (on the backend's thread) whenever healthy() changes. Throws
  // std::runtime_error when the store cannot be reached at all.
  virtual std::unique_ptr<Registration> Register(const Instance& in, HealthFn health = nullptr) = 0;
  // Watches appid: fn runs once with the current list before this returns, then after every
  // change, one at a time in the store's order (on the backend's thread, never two at once). Throws
  // std::runtime_error when the store cannot be reached at all.
  virtual std::unique_ptr<Watch> WatchApp(const std::string& appid, Watch::Fn fn) = 0;
  // Watches several applications as one ordered history: fn(appid, list) runs for each of them,
  // in the order given, before this returns, then after every change, one change at a time in
  // the store's order, so a change seen in one application is never ahead of an earlier change
  // in another, and a node that joined and left meanwhile is seen doing both. (Two WatchApp
  // calls follow two streams, which may lag each other.) After a lost stream the whole lists
  // are read again: what happened during the outage is then seen as its net effect. Current()
  // lists every application's instances. bilibili discovery only answers polls with whole lists:
  // there every change is seen as the net effect since the previous poll.
  using AppsFn = std::function<void(const std::string& appid, const std::vector<Instance>&)>;
  virtual std::unique_ptr<Watch> WatchApps(const std::vector<std::string>& appids, AppsFn fn) = 0;
  // "static", "etcd", "bilibili": for logs.
  virtual const char* name() const = 0;
};

// This node's record: identity from env (host must be resolved), a fresh epoch, and the gRPC
// address others dial ("" for none).
Instance Self(const conf::Env& env, const char* appid, std::string grpc);

// Static membership: the lists given per appid never change; registering does nothing.
std::unique_ptr<Backend> NewStaticBackend(std::map<std::string, std::vector<Instance>> lists);

// The backend cfg asks for: etcd when endpoints are set, bilibili discovery when nodes are (env:
// this node's, whose deployEnv names the instances' env there), else static over `lists`. Throws
// std::invalid_argument when the chosen backend cannot be used as configured.
std::unique_ptr<Backend> NewBackend(const Config& cfg, const conf::Env& env,
                                    std::map<std::string, std::vector<Instance>> lists = {});

}  // namespace goim::discovery
