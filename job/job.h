// job::Job: consumes goim PushMsg messages (Kafka consumer group, or the embedded queue),
// dispatches them as goim's job does (PUSH to the named comet, ROOM through the room's batcher to
// the comets, BROADCAST to every comet with the speed split among them), and commits a
// partition's offset only up to the oldest message whose every comet call has come back OK (or
// whose comet left the membership). One loop thread owns all state and its timers (on the
// injected clock); a second thread polls the consumer and pauses it when too much work is
// unfinished. With room history, each room batch is appended to the store (on the store's own
// threads when it blocks) before it is sent, and its frames' room offsets go with it
// (job/room_history.cc).
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/logic.pb.h"
#include "job/batcher.h"
#include "job/comet_client.h"
#include "job/config.h"
#include "job/tracker.h"
#include "pkg/history/runner.h"
#include "pkg/history/store.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/asio.h"
#include "pkg/net/in_flight.h"
#include "pkg/queue/queue.h"
#include "pkg/time/loop_timer.h"

namespace goim::job {

class Job {
 public:
  // clock: where the loop's timers take their time (a FakeClock in tests).
  Job(const Config& cfg, std::unique_ptr<queue::Consumer> consumer,
      time::Clock& clock = time::SystemClock());
  ~Job();

  // Room history: batches are appended to store under queue positions of `source` (the Kafka
  // topic; the embedded queue's id) before they are sent. Redis (cfg.history.store) appends run on
  // history.redis.pool threads, rooms hashed over them; the memory store is called on the loop.
  // Before Start only. (job/room_history.cc)
  void SetHistory(std::shared_ptr<history::Store> store, std::string source);

  void Start();
  // Stops consuming, flushes every batch, waits for the comet calls, commits, returns.
  void Stop();

  // Replaces the comets (a live membership, already filtered to this job's zone): new ones get a
  // client, a comet that left is dropped with its queued calls (ended as undelivered, counted),
  // one whose address changed is reconnected. [thread-safe; applied on the loop] (job/comets.cc)
  void SetComets(std::vector<discovery::Instance> comets);

  // Observations for tests (posted to the loop and waited for).
  size_t InflightMessages() const { return inflight_.load(); }
  std::vector<std::string> UpComets();
  // The room's online count over the comets, as the last Rooms polls reported it.
  int64_t RoomOnline(const std::string& room);

 private:
  void PollLoop();
  void Dispatch(const queue::Message& m);
  void DispatchPush(const goim::logic::PushMsg& pm, Token t);
  void DispatchBroadcast(const goim::logic::PushMsg& pm, Token t);
  void FlushRoom(Batch&& b);
  // Sends a flushed batch, with its room offsets when r (the append's reply) is given.
  void SendRoom(Batch&& b, const history::AppendReply* r);
  // --- room history (job/room_history.cc)
  // Appends the batch to the store (on the appender's threads for Redis), then SendRoom on the
  // loop, a room's batches in their order.
  void AppendThenSend(Batch&& b);
  // The offsets and epoch of the reply into req; counts the messages left without an offset.
  static void SetOffsets(goim::comet::BroadcastRoomReq* req, const history::AppendReply& r,
                         int32_t count);
  static metrics::SumGauge* QueuedGauge();
  void DetachHistory();
  void Send(const std::vector<CometClient*>& targets, uint32_t lane, CometClient::Kind kind,
            std::shared_ptr<const google::protobuf::Message> req, std::vector<Token> tokens);
  void Finish(const std::vector<Token>& tokens);
  std::vector<CometClient*> Up() const;
  time::Duration Window(const std::string& room, time::TimePoint last_flush) const;
  void CommitTick();
  void RoomsTick();
  int64_t Online(const std::string& room) const;
  void RetryWaiting();
  void CheckDrain();
  void OnRevoked(const std::vector<int32_t>& parts);
  void ApplyComets(const std::vector<discovery::Instance>& comets);

  Config cfg_;
  std::unique_ptr<queue::Consumer> consumer_;
  asio::io_context io_{1};
  std::thread loop_thread_;
  std::thread poll_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> inflight_{0};
  std::atomic<bool> overloaded_{false};

  time::LoopTimer timer_;
  time::TimerId commit_timer_;
  time::TimerId rooms_timer_;
  net::InFlight comet_calls_;  // gRPC calls to the comets whose completion is not yet posted
  std::unique_ptr<RoomBatchers> batchers_;
  OffsetTracker tracker_;
  std::vector<std::unique_ptr<CometClient>> comets_;
  std::unordered_map<std::string, CometClient*> by_name_;
  std::unordered_map<std::string, std::unordered_map<std::string, int32_t>>
      hosted_;                                                   // comet -> room -> online
  std::vector<std::pair<goim::logic::PushMsg, Token>> waiting_;  // broadcasts waiting for a comet

  struct Drain {
    std::vector<int32_t> parts;
    std::shared_ptr<std::promise<void>> done;
  };
  std::unique_ptr<Drain> drain_;

  std::shared_ptr<history::Store> history_;
  std::string history_source_;
  // After io_: destroyed (joined) first, as its threads post to the loop.
  std::unique_ptr<history::Runner> appender_;
};

}  // namespace goim::job
