// Rooms. Each event loop keeps its own Room objects: an intrusive doubly-linked list of the
// loop's channels in that room (join and leave are O(1), a broadcast walks the list without a
// lock). The comet-wide RoomIndex holds one RoomStats per room id, shared by the loops' Room
// objects: this comet's online count, the cluster-wide count logic sent back, and which loops
// have members (so a BroadcastRoom is posted only to those loops).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace goim::comet {

class Channel;

struct RoomStats {
  std::string id;
  std::atomic<int32_t> online{0};      // members on this comet
  std::atomic<int32_t> all_online{0};  // cluster-wide, from logic (0: not known yet)
  std::atomic<uint64_t> loops{0};      // bit i: loop i has members
  int refs = 0;                        // loops holding a Room for it (under RoomIndex::mu_)
  // goim's OnlineNum: the cluster-wide count when logic sent one, else the local count.
  int32_t OnlineNum() const {
    int32_t all = all_online.load(std::memory_order_relaxed);
    return all > 0 ? all : online.load(std::memory_order_relaxed);
  }
};

// [thread-safe]
class RoomIndex {
 public:
  ~RoomIndex();
  RoomStats* Acquire(const std::string& id, int loop);
  void Release(RoomStats* s, int loop);
  // The loops with members of room id (0: none on this comet).
  uint64_t Loops(const std::string& id) const;
  // Rooms with members here and their counts (goim RoomsCount).
  std::map<std::string, int32_t> Counts() const;
  // Applies logic's cluster-wide counts (goim UpRoomsCount); rooms absent from all get 0.
  void SetAllOnline(const std::map<std::string, int32_t>& all);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, RoomStats*> rooms_;
};

// One loop's view of a room. [loop thread only]
struct Room {
  RoomStats* stats = nullptr;
  Channel* head = nullptr;
  int32_t online = 0;  // members on this loop
};

}  // namespace goim::comet
