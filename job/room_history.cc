// Room history on job's side: each flushed room batch is appended to the history store before it
// is sent, and goes to the comets with the room offset of each of its frames and the room's epoch
// (BroadcastRoomReq.offsets/epoch). The frames themselves keep seq 0, so a comet sends goim's
// bytes to clients that did not opt in.
//
// Order: a room's batches must reach the store in their order (it assigns the offsets) and the
// comets in the same order. Redis appends run on the appender's threads, a room always on the
// same one, and each result is posted back to the loop in turn; the memory store is called on the
// loop itself. A batch the store could not take (error; or a re-consumed message that has left
// retention: stale) still goes out, without offsets (seq 0), counted in
// goim_job_history_unnumbered_total: the push is delivered, only not numbered.
#include <glog/logging.h>

#include "job/job.h"
#include "pkg/metrics/metrics.h"
#include "pkg/protocol/binary.h"
#include "pkg/protocol/frame.h"

namespace goim::job {

namespace {

metrics::Counter* Unnumbered() {
  static metrics::Counter* c = metrics::Registry::Default().NewCounter(
      "goim_job_history_unnumbered_total",
      "Room messages sent without a room offset: the history store failed, or a re-consumed "
      "message had left retention");
  return c;
}

// The batch's messages as the store takes them: views into its frames.
std::vector<history::Input> Inputs(const Batch& b) {
  std::vector<history::Input> in;
  in.reserve(b.tokens.size());
  const auto* p = reinterpret_cast<const uint8_t*>(b.frames.data());
  size_t at = 0;
  for (const Token& t : b.tokens) {
    if (at + protocol::kRawHeaderSize > b.frames.size()) break;  // never: the batcher wrote them
    protocol::Header h = protocol::DecodeHeader(p + at);
    in.push_back({{t.partition, t.offset},
                  h.op,
                  std::string_view(b.frames).substr(at + protocol::kRawHeaderSize,
                                                    h.pack_len - protocol::kRawHeaderSize)});
    at += static_cast<size_t>(h.pack_len);
  }
  return in;
}

}  // namespace

metrics::SumGauge* Job::QueuedGauge() {
  static metrics::SumGauge* g = metrics::Registry::Default().NewSumGauge(
      "goim_job_history_queued_batches", "Room batches waiting for the history store");
  return g;
}

void Job::SetHistory(std::shared_ptr<history::Store> store, std::string source) {
  Unnumbered();
  history_ = std::move(store);
  history_source_ = std::move(source);
  // Redis blocks for a round trip: its appends leave the loop. Their number is bounded by
  // consumer.maxInflight, and consumption pauses above comet.queue of them (CommitTick).
  const int threads = cfg_.history.store == "redis" ? cfg_.history.redis.pool : 0;
  appender_ = std::make_unique<history::Runner>(threads, 0, "job-history");
  history::Runner* appender = appender_.get();
  QueuedGauge()->Attach(this, [appender] { return static_cast<int64_t>(appender->queued()); });
}

void Job::DetachHistory() {
  if (appender_) QueuedGauge()->Detach(this);
}

void Job::AppendThenSend(Batch&& b) {
  if (appender_->inline_calls()) {
    history::AppendReply r = history_->AppendBatch(b.room, history_source_, Inputs(b));
    return SendRoom(std::move(b), &r);
  }
  // std::function needs a copyable callable: the batch travels in a shared_ptr.
  auto batch = std::make_shared<Batch>(std::move(b));
  appender_->Run(batch->room, [this, batch] {
    auto r = std::make_shared<history::AppendReply>(
        history_->AppendBatch(batch->room, history_source_, Inputs(*batch)));
    asio::post(io_, [this, batch, r] { SendRoom(std::move(*batch), r.get()); });
  });
}

void Job::SetOffsets(goim::comet::BroadcastRoomReq* req, const history::AppendReply& r,
                     int32_t count) {
  // The store logged and counted its error; the batch goes out unnumbered.
  if (!r.error.empty() || static_cast<int32_t>(r.items.size()) != count) {
    Unnumbered()->Inc(static_cast<uint64_t>(count));
    return;
  }
  uint64_t none = 0;
  for (const history::Appended& a : r.items) {
    req->add_offsets(a.offset);
    none += a.offset == 0;
  }
  req->set_epoch(r.epoch);
  if (none) Unnumbered()->Inc(none);
}

}  // namespace goim::job
