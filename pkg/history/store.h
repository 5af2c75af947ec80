// history::Store: a room's recent messages under room offsets, for late joiners and reconnecting
// clients (issue 14). Two implementations keep the same contract: MemoryStore (standalone, one
// process) and RedisStore (cluster: one capped stream per room).
//
// Offsets. job appends a room's messages before it sends them to the comets. Each gets a room
// offset, contiguous from 1 within the room's epoch. The append is idempotent on the message's
// queue position: after a job crash the queue hands the same (partition, offset) again, and the
// store answers with the room offset it gave the first time instead of storing it twice.
//
// Epoch. A short random string created with the room's history. It changes when continuity is
// lost: the history expired (ttl) or was wiped (Redis FLUSHALL, memory eviction), or the queue
// started over (below); and when the offsets reach maxOffset (frames carry them in an int32).
// A client that names another epoch gets recovered:false.
//
// Queue positions. `source` names the queue the positions come from (the Kafka topic; the
// embedded queue's id for this process run). Per room and source the store keeps the newest
// queue offset appended per partition. An append at or below it is a re-consume:
//   - found among the retained messages with the same op and body: kDuplicate, first offset;
//   - found with another op or body, or more than maxRewind behind: not a re-consume but a queue
//     that started over (topic deleted and recreated): the room starts a new epoch and the whole
//     batch is appended to it;
//   - not retained any more: kStale, offset 0, not stored. job still delivers it live (without
//     an offset: seq 0), since the crash may have come before it was sent.
// Another source (a queue renamed, the embedded queue of a new process) keeps the epoch and
// history and forgets the positions: nothing of the old queue can be re-consumed from the new.
//
// Reads. A read positions its reader at the room's newest offset and gives the messages up to
// it, ascending and contiguous; recovered says whether everything asked for was given:
//   Last(n):            the newest min(n, maxRequest) retained; recovered when that is all the
//                       min(n, newest) messages asked for (n < 0 counts as 0).
//   Read(after, epoch, limit): the messages after `after`. recovered:false, with the newest
//                       `limit` messages (the reader starts over), when the epoch differs,
//                       `after` is < 0 or beyond the newest, a message after it has left
//                       retention, or more than `limit` follow it.
// Limits are clamped to [0, maxRequest]: a reply never holds more. A read of a room without
// history creates its epoch (so a client positioned in an empty room can recover later).
//
// Errors (store unreachable, timeout, bad input) come back in `error`, counted; nothing throws.
// [thread-safe]: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/history/config.h"

namespace goim::history {

// A message's place in the queue: the key that makes appends idempotent.
struct Position {
  int32_t partition = 0;
  int64_t offset = 0;
};

// One message to append; body is only read during the call.
struct Input {
  Position pos;
  int32_t op = 0;
  std::string_view body;
};

enum class AppendStatus : uint8_t {
  kAppended,   // stored under offset
  kDuplicate,  // re-consumed: offset is the one it got the first time; not stored again
  kStale,      // re-consumed after it left retention: offset 0, not stored
};

struct Appended {
  AppendStatus status = AppendStatus::kAppended;
  int64_t offset = 0;
};

struct AppendReply {
  std::string error;  // not empty: nothing is known; job delivers the batch live without offsets
  std::string epoch;
  bool new_epoch = false;       // this call created the room's history or started a new epoch
  std::vector<Appended> items;  // one per input, in order
};

struct Message {
  int64_t offset = 0;
  int32_t op = 0;
  std::string body;  // bytes, as pushed
};

struct ReadReply {
  std::string error;
  std::string epoch;
  std::vector<Message> messages;  // ascending, contiguous, ending at newest (or empty)
  int64_t first_retained = 0;     // the oldest offset still kept; 0 when none is
  int64_t newest = 0;             // the reader is positioned here: live messages follow it
  bool recovered = false;
};

// The largest batch one AppendBatch takes (it is one atomic step); larger ones are refused.
inline constexpr size_t kMaxBatch = 256;
// Room names longer than this are refused (goim's come from a 4 KB auth frame or a URL).
inline constexpr size_t kMaxRoomName = 1024;

class Store {
 public:
  virtual ~Store() = default;

  AppendReply AppendBatch(std::string_view room, std::string_view source,
                          std::span<const Input> msgs);
  AppendReply Append(std::string_view room, std::string_view source, Position pos, int32_t op,
                     std::string_view body) {
    Input in{pos, op, body};
    return AppendBatch(room, source, std::span<const Input>(&in, 1));
  }

  ReadReply Read(std::string_view room, int64_t after, std::string_view epoch, int64_t limit);
  ReadReply Last(std::string_view room, int64_t n);

  // What a read asks, as both implementations see it.
  struct Query {
    bool last = true;   // Last(n) rather than Read(after, epoch, limit)
    int64_t after = 0;  // Read
    std::string_view epoch;
    int64_t asked = 0;  // n or limit as given (may be negative or huge)
    int64_t limit = 0;  // clamped to [0, maxRequest]
  };

 protected:
  explicit Store(const Config& cfg) : cfg_(cfg) {}
  // The implementations, called with a valid room and batch; they count nothing but their own
  // events (evictions, new epochs, reconnects).
  virtual AppendReply Write(std::string_view room, std::string_view source,
                            std::span<const Input> msgs) = 0;
  virtual ReadReply Fetch(std::string_view room, const Query& q) = 0;

  const Config cfg_;
};

// The configured store (cfg.store), connected and ready; nullptr with *error set when it cannot
// be (Redis unreachable, scripts refused): a clear startup error for the caller to stop on.
std::unique_ptr<Store> Open(const Config& cfg, std::string* error);

// A room name the stores accept; otherwise the reason.
std::string CheckRoom(std::string_view room);

}  // namespace goim::history
