// logic::HistoryReader: room history reads, for a client being positioned in a room (goim.logic.
// Logic History, which the comets call at auth and at a change room) and for backends (GET
// /goim/history/room). Redis reads leave the caller's thread (gRPC's and the HTTP loops): they run
// on history.redis.pool threads, at most kMaxQueued waiting; more are answered "busy" at once
// (-500, counted in goim_logic_history_busy_total). The memory store is read on the caller's
// thread. [thread-safe]
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/logic.pb.h"
#include "logic/result.h"
#include "pkg/history/runner.h"
#include "pkg/history/store.h"

namespace goim::logic {

class HistoryReader {
 public:
  static constexpr size_t kMaxQueued = 4096;
  using Done = std::function<void(Result, history::ReadReply)>;

  HistoryReader(std::shared_ptr<history::Store> store, const history::Config& cfg);

  // A client's ask: its last N messages; or, with a position, everything after offset within
  // epoch (at most maxRequest), and when that cannot be recovered the newest N, as a fresh join
  // would get them. A bad ask is answered like a good one but with recovered false.
  void ForClient(const std::string& room, const goim::logic::HistoryAsk& ask, Done done);
  // A backend's read: the newest `limit`, or with has_after the messages after `after` within
  // epoch ("" = the room's current epoch, whatever it is).
  void ForBackend(const std::string& room, int64_t limit, bool has_after, int64_t after,
                  const std::string& epoch, Done done);

 private:
  void Submit(const std::string& room, std::function<history::ReadReply()> read, Done done);

  std::shared_ptr<history::Store> store_;
  const int32_t max_request_;
  history::Runner runner_;
};

}  // namespace goim::logic
