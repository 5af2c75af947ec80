// job::CometClient: the job's connection to one comet (goim.comet.Comet over one gRPC channel).
// Calls go into `lanes` ordered lanes (a room's batches always take the same lane, so they reach
// the comet in order) with one call in flight per lane: in-flight calls are bounded and no thread
// waits on any of them. A failed call is retried, in its lane, with backoff; a comet that keeps
// failing for failTimeout is marked down (reported, its queued work finishes as "comet gone",
// new work for it is skipped) and probed until it answers again. One slow or dead comet never
// holds up another's lanes. Retries and probes wait on the job's loop timer (the job's clock).
// [job loop thread only; gRPC completions are posted back to it]
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/comet.grpc.pb.h"
#include "job/config.h"
#include "pkg/net/asio.h"
#include "pkg/net/grpc_call.h"
#include "pkg/time/timer.h"

namespace goim::job {

class CometClient {
 public:
  enum class Kind { kPush, kRoom, kBroadcast };
  // delivered: the comet accepted the call (false: the comet is gone from the membership).
  using Done = std::function<void(bool delivered)>;

  // timer: the job loop's; calls: counts this client's gRPC calls until their completion was
  // posted to io (the job waits for it before stopping io).
  CometClient(const discovery::Instance& in, asio::io_context& io, time::Timer& timer,
              net::InFlight& calls, const Config& cfg);
  ~CometClient();

  const std::string& name() const { return in_.hostname; }
  const std::string& addr() const { return in_.grpc; }
  bool up() const { return up_; }
  size_t queued() const { return queued_; }
  size_t inflight() const { return inflight_; }

  void Send(uint32_t lane, Kind kind, std::shared_ptr<const google::protobuf::Message> req,
            Done done);
  // Asks the comet which rooms it hosts and their online counts (RoomsReply.online).
  void PollRooms(std::function<void(bool ok, const goim::comet::RoomsReply&)> done);
  // Ends every queued call as undelivered and stops retrying (shutdown, or the comet left the
  // membership: the client may then be destroyed with calls in flight, whose completions are
  // ignored).
  void Abandon();

 private:
  struct Call {
    Kind kind;
    std::shared_ptr<const google::protobuf::Message> req;
    Done done;
    int attempts = 0;
    uint64_t issue = 0;  // which RPC is in flight for it (stale completions are ignored)
  };
  struct Lane {
    CometClient* owner;
    uint32_t index;
    std::deque<Call> q;
    bool busy = false;
    time::TimerId retry;
  };
  void Pump(uint32_t lane);
  void Issue(uint32_t lane);
  void OnResult(uint32_t lane, uint64_t issue, const grpc::Status& st);
  void MarkDown();
  void Probe();
  static void OnRetry(void* lane);
  static void OnProbe(void* self);
  net::CallOptions Options(bool wait_for_ready) const;

  discovery::Instance in_;
  asio::io_context& io_;
  time::Timer& timer_;
  net::InFlight& calls_;
  const Config& cfg_;
  std::unique_ptr<goim::comet::Comet::Stub> stub_;
  std::vector<Lane> lanes_;
  size_t queued_ = 0;
  size_t inflight_ = 0;
  uint64_t next_issue_ = 0;
  bool up_ = true;
  bool abandoned_ = false;
  time::TimePoint failing_since_{};
  time::TimerId probe_;
  std::shared_ptr<bool> alive_;  // completions posted after destruction check it
};

}  // namespace goim::job
