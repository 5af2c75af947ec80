#include "pkg/history/store.h"

#include <glog/logging.h>

#include "pkg/history/memory_store.h"
#include "pkg/history/metrics.h"
#include "pkg/history/redis_store.h"
#include "pkg/history/shape.h"
#include "pkg/log/log.h"

namespace goim::history {

std::string CheckRoom(std::string_view room) {
  if (room.empty()) return "empty room";
  if (room.size() > kMaxRoomName)
    return "room name of " + std::to_string(room.size()) + " bytes (at most " +
           std::to_string(kMaxRoomName) + ")";
  return "";
}

AppendReply Store::AppendBatch(std::string_view room, std::string_view source,
                               std::span<const Input> msgs) {
  Metrics& m = Metrics::Get();
  AppendReply r;
  r.error = CheckRoom(room);
  if (r.error.empty() && msgs.size() > kMaxBatch)
    r.error = "batch of " + std::to_string(msgs.size()) + " messages (at most " +
              std::to_string(kMaxBatch) + ")";
  if (r.error.empty()) {
    if (msgs.empty()) return r;
    r = Write(room, source, msgs);
  }
  if (!r.error.empty()) {
    m.append_errors->Inc();
    LOG_EVERY_T(WARNING, 1) << "history: append failed room=" << log::Printable(room)
                            << " messages=" << msgs.size() << " error(" << r.error << ")";
    r.items.clear();
    return r;
  }
  for (const Appended& a : r.items) {
    switch (a.status) {
      case AppendStatus::kAppended:
        m.appended->Inc();
        break;
      case AppendStatus::kDuplicate:
        m.duplicates->Inc();
        break;
      case AppendStatus::kStale:
        m.stale->Inc();
        break;
    }
  }
  return r;
}

namespace {
ReadReply Counted(std::string_view room, ReadReply r) {
  Metrics& m = Metrics::Get();
  if (!r.error.empty()) {
    m.read_errors->Inc();
    LOG_EVERY_T(WARNING, 1) << "history: read failed room=" << log::Printable(room) << " error("
                            << r.error << ")";
    r.messages.clear();
    r.recovered = false;
  } else {
    (r.recovered ? m.reads_recovered : m.reads_unrecovered)->Inc();
  }
  return r;
}
}  // namespace

ReadReply Store::Read(std::string_view room, int64_t after, std::string_view epoch, int64_t limit) {
  if (std::string why = CheckRoom(room); !why.empty()) return Counted(room, {.error = why});
  return Counted(room, Fetch(room, MakeQuery(false, after, epoch, limit, cfg_.maxRequest)));
}

ReadReply Store::Last(std::string_view room, int64_t n) {
  if (std::string why = CheckRoom(room); !why.empty()) return Counted(room, {.error = why});
  return Counted(room, Fetch(room, MakeQuery(true, 0, "", n, cfg_.maxRequest)));
}

std::unique_ptr<Store> Open(const Config& cfg, std::string* error) {
  if (std::string why = cfg.Validate(); !why.empty()) {
    *error = why;
    return nullptr;
  }
  if (cfg.store == "memory") return std::make_unique<MemoryStore>(cfg);
  auto s = std::make_unique<RedisStore>(cfg);
  if (std::string why = s->Check(); !why.empty()) {
    *error = "history: redis " + cfg.redis.addr + ": " + why;
    return nullptr;
  }
  return s;
}

}  // namespace goim::history
