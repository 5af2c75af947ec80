// history::MemoryStore: the in-process history of standalone mode (job and logic share one
// process, so one store). One mutex guards every room: job appends from its loop thread, logic
// reads from its gRPC and HTTP threads, and each holds it for at most one batch or one copy of
// maxRequest messages. Bounded per room (perRoom), in total (memory.maxBytes: rooms are evicted
// whole, counted: first those that only a read created, then the least recently appended) and in
// time (ttl after the room's last append). The clock is injectable so tests drive expiry without
// sleeping. [thread-safe]
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pkg/history/store.h"

namespace goim::history {

class MemoryStore final : public Store {
 public:
  using Clock = std::chrono::steady_clock;
  using NowFn = std::function<Clock::time_point()>;

  explicit MemoryStore(const Config& cfg, NowFn now = nullptr);
  ~MemoryStore() override;

  size_t rooms() const;
  int64_t bytes() const;  // as counted against memory.maxBytes

 protected:
  AppendReply Write(std::string_view room, std::string_view source,
                    std::span<const Input> msgs) override;
  ReadReply Fetch(std::string_view room, const Query& q) override;

 private:
  struct Entry {
    int64_t offset = 0;
    int32_t op = 0;
    Position pos;
    std::string body;
  };
  using Positions = std::vector<std::pair<int32_t, int64_t>>;  // partition -> newest offset
  struct Room {
    std::string name;
    std::string epoch;
    int64_t next = 1;
    std::string source;
    Positions last;
    std::deque<Entry> entries;
    int64_t bytes = 0;
    Clock::time_point expires;
    int list = 0;  // kEmpty or kStored
    std::list<Room*>::iterator lru;
  };
  // Rooms that hold no message (a read created them) are evicted before those that do, so
  // clients joining many empty rooms cannot push out the history of the busy ones.
  static constexpr int kEmpty = 0;
  static constexpr int kStored = 1;
  // What an append batch does to a room, decided before anything changes.
  struct Plan {
    // A new epoch is needed (the queue started over, or maxOffset is reached): start it, then
    // plan again.
    bool restart = false;
    bool offset_limit = false;  // why: maxOffset
    std::vector<Appended> items;
    Positions last;
    int64_t next = 1;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Clock::time_point Now() const { return now_ ? now_() : Clock::now(); }
  Plan MakePlan(const Room& r, std::span<const Input> msgs, bool may_restart) const;
  void Commit(Room* r, std::span<const Input> msgs, Plan&& p);
  // The room's live record, or a new one with a new epoch. Everything below holds mu_.
  Room* Get(std::string_view room, Clock::time_point now, bool* created);
  void StartEpoch(Room* r);
  void Touch(Room* r, Clock::time_point now);
  void Account(Room* r, int64_t delta);
  void Drop(Room* r);
  void ExpireRooms(Clock::time_point now);
  void Evict(const Room* keep);

  NowFn now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Room>, Hash, std::equal_to<>> rooms_;
  // Per kind, front: the latest appended (or created); also the order of expiry.
  std::list<Room*> lru_[2];
  int64_t bytes_ = 0;
};

}  // namespace goim::history
