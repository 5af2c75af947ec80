#include "logic/history_reader.h"

#include <algorithm>

#include <glog/logging.h>

#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"

namespace goim::logic {

namespace {
metrics::Counter* Busy() {
  static metrics::Counter* c = metrics::Registry::Default().NewCounter(
      "goim_logic_history_busy_total",
      "History reads refused at once: too many were waiting for the store");
  return c;
}
}  // namespace

HistoryReader::HistoryReader(std::shared_ptr<history::Store> store, const history::Config& cfg)
    : store_(std::move(store)),
      max_request_(cfg.maxRequest),
      runner_(cfg.store == "redis" ? cfg.redis.pool : 0, kMaxQueued, "logic-history") {
  Busy();
}

void HistoryReader::Submit(const std::string& room, std::function<history::ReadReply()> read,
                           Done done) {
  if (std::string why = history::CheckRoom(room); !why.empty())
    return done({kRequestErr, "history: " + why}, {});
  auto work = [read = std::move(read), done] {
    history::ReadReply r = read();
    if (!r.error.empty()) return done({kServerErr, "history: " + r.error}, {});
    done({}, std::move(r));
  };
  if (runner_.Run(room, work)) return;
  Busy()->Inc();
  LOG_EVERY_T(WARNING, 1) << "logic: history read refused, " << kMaxQueued
                          << " are waiting for the store room=" << log::Printable(room);
  done({kServerErr, "history: busy"}, {});
}

void HistoryReader::ForClient(const std::string& room, const goim::logic::HistoryAsk& ask,
                              Done done) {
  history::Store* store = store_.get();
  const int64_t max_request = max_request_;
  Submit(
      room,
      [store, room, ask, max_request] {
        history::ReadReply r;
        if (!ask.position()) {
          r = store->Last(room, ask.last());
        } else {
          r = store->Read(room, ask.offset(), ask.epoch(), max_request);
          // Not recovered: the reader starts over with what a fresh join gets.
          const auto keep = static_cast<size_t>(std::clamp<int64_t>(ask.last(), 0, max_request));
          if (!r.recovered && r.messages.size() > keep)
            r.messages.erase(r.messages.begin(),
                             r.messages.end() - static_cast<std::ptrdiff_t>(keep));
        }
        if (ask.bad()) r.recovered = false;
        return r;
      },
      std::move(done));
}

void HistoryReader::ForBackend(const std::string& room, int64_t limit, bool has_after,
                               int64_t after, const std::string& epoch, Done done) {
  history::Store* store = store_.get();
  Submit(
      room,
      [store, room, limit, has_after, after, epoch] {
        if (!has_after) return store->Last(room, limit);
        std::string in = epoch;
        if (in.empty()) {
          // The current epoch: if it changes before the read, that read says recovered false.
          history::ReadReply now = store->Last(room, 0);
          if (!now.error.empty()) return now;
          in = now.epoch;
        }
        return store->Read(room, after, in, limit);
      },
      std::move(done));
}

}  // namespace goim::logic
