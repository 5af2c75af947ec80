// PushLedger: drives a cluster under faults and accounts for every push. Clients connect to
// comets (each its own key and mid); a pusher thread pushes numbered bodies to one client at a
// time (by key or by mid, through the logics in turn); a receiver thread records what each client
// got. Afterwards every push answered code 0 to a client that was alive is checked as delivered;
// pushes to clients of a comet that was killed are reported apart. Times are recorded so the
// test can measure recoveries. [thread-safe]
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test/support/goim_client.h"

namespace goim::e2e {

using Clock = std::chrono::steady_clock;

class PushLedger {
 public:
  struct Push {
    int64_t seq = 0;
    size_t client = 0;
    bool by_mid = false;
    std::string logic;
    Clock::time_point sent, answered;
    bool ok = false;  // answered {"code":0}
    std::string answer;
  };
  struct Stats {
    int pushes = 0, ok = 0, failed = 0, delivered = 0;
    int lost = 0;     // answered code 0 to a live client, never delivered
    int to_dead = 0;  // answered code 0 to a client of a killed comet
    std::vector<std::string> lost_examples;
  };

  ~PushLedger();

  // Connects n clients to the comet at addr (TCP); false when one fails.
  bool Connect(const std::string& comet, const std::string& addr, int n);
  // The comet's clients are gone (it was killed) as of now.
  void CometKilled(const std::string& comet);

  // Pushes every `every` through the logics' HTTP addresses in turn.
  void StartPushing(std::vector<std::string> logics, std::chrono::milliseconds every);
  void StopPushing();
  // Waits (up to timeout) until every push answered code 0 to a live client has arrived.
  bool WaitDelivered(std::chrono::milliseconds timeout);

  // Pushes sent in [from, to) (to: max = until now).
  Stats Count(Clock::time_point from, Clock::time_point to = Clock::time_point::max());
  // The earliest time a push sent at or after `since` to a client matching pred was delivered.
  std::optional<Clock::time_point> FirstDelivered(
      Clock::time_point since, const std::function<bool(const std::string& key)>& pred);
  // The clients' keys (of one comet, or all), optionally only of clients still alive.
  std::vector<std::string> Keys(const std::string& comet = "", bool live_only = false);

 private:
  struct Client {
    std::string comet, key;
    int64_t mid = 0;
    std::unique_ptr<testing::Client> conn;
    Clock::time_point died = Clock::time_point::max();
    std::map<int64_t, Clock::time_point> got;  // seq -> arrival
  };
  void PushLoop(std::vector<std::string> logics, std::chrono::milliseconds every);
  void ReceiveLoop();
  bool Delivered(const Push& p, Clock::time_point* at = nullptr);

  std::mutex mu_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<Push> pushes_;
  std::atomic<bool> pushing_{false}, receiving_{false};
  std::thread pusher_, receiver_;
  int64_t next_mid_ = 900000;
};

}  // namespace goim::e2e
