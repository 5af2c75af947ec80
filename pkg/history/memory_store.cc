#include "pkg/history/memory_store.h"

#include <algorithm>

#include "pkg/history/metrics.h"
#include "pkg/history/shape.h"

namespace goim::history {

namespace {
// What a room and a message cost beyond their bytes (maps, list nodes, allocator headers); a
// rough figure so memory.maxBytes bounds many tiny messages as well as a few large ones.
constexpr int64_t kRoomOverhead = 256;
constexpr int64_t kEntryOverhead = 64;

int64_t* Find(std::vector<std::pair<int32_t, int64_t>>& last, int32_t partition) {
  for (auto& [p, o] : last) {
    if (p == partition) return &o;
  }
  return nullptr;
}
}  // namespace

MemoryStore::MemoryStore(const Config& cfg, NowFn now) : Store(cfg), now_(std::move(now)) {}

MemoryStore::~MemoryStore() {
  Metrics& m = Metrics::Get();
  m.memory_bytes->Sub(bytes_);
  m.memory_rooms->Sub(static_cast<int64_t>(rooms_.size()));
}

size_t MemoryStore::rooms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rooms_.size();
}

int64_t MemoryStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

AppendReply MemoryStore::Write(std::string_view room, std::string_view source,
                               std::span<const Input> msgs) {
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = Now();
  ExpireRooms(now);
  AppendReply reply;
  Room* r = Get(room, now, &reply.new_epoch);
  if (r->source != source) {  // another queue: its positions say nothing about this one's
    Account(r, static_cast<int64_t>(source.size()) - static_cast<int64_t>(r->source.size()));
    r->source = source;
    r->last.clear();
  }
  Plan p = MakePlan(*r, msgs, true);
  if (p.restart) {
    Metrics& m = Metrics::Get();
    (p.offset_limit ? m.epochs_offset_limit : m.epochs_queue_restarted)->Inc();
    StartEpoch(r);
    reply.new_epoch = true;
    p = MakePlan(*r, msgs, false);
  }
  reply.items = p.items;
  Commit(r, msgs, std::move(p));
  Touch(r, now);
  Evict(r);
  reply.epoch = r->epoch;
  return reply;
}

MemoryStore::Plan MemoryStore::MakePlan(const Room& r, std::span<const Input> msgs,
                                        bool may_restart) const {
  Plan p;
  p.last = r.last;
  p.next = r.next;
  p.items.reserve(msgs.size());
  // The message stored (or about to be) at a queue position, newest first: this batch's own,
  // then the room's retained ones.
  auto stored = [&](Position pos, int32_t* op, std::string_view* body) -> int64_t {
    for (size_t i = p.items.size(); i-- > 0;) {
      if (p.items[i].status == AppendStatus::kAppended && msgs[i].pos.partition == pos.partition &&
          msgs[i].pos.offset == pos.offset) {
        *op = msgs[i].op;
        *body = msgs[i].body;
        return p.items[i].offset;
      }
    }
    for (auto e = r.entries.rbegin(); e != r.entries.rend(); ++e) {
      if (e->pos.partition == pos.partition && e->pos.offset == pos.offset) {
        *op = e->op;
        *body = e->body;
        return e->offset;
      }
    }
    return 0;
  };
  for (const Input& m : msgs) {
    int64_t* last = Find(p.last, m.pos.partition);
    if (last == nullptr || m.pos.offset > *last) {
      if (p.next > cfg_.maxOffset) {  // cannot happen again in a new epoch (maxOffset >= kMaxBatch)
        p.restart = p.offset_limit = true;
        return p;
      }
      if (last == nullptr) {
        p.last.emplace_back(m.pos.partition, m.pos.offset);
      } else {
        *last = m.pos.offset;
      }
      p.items.push_back({AppendStatus::kAppended, p.next++});
      continue;
    }
    bool restarted = *last - m.pos.offset > cfg_.maxRewind;
    if (!restarted) {
      int32_t op = 0;
      std::string_view body;
      if (int64_t offset = stored(m.pos, &op, &body); offset == 0) {
        p.items.push_back({AppendStatus::kStale, 0});
        continue;
      } else if (op == m.op && body == m.body) {
        p.items.push_back({AppendStatus::kDuplicate, offset});
        continue;
      }
      restarted = true;  // the same position holds another message
    }
    if (may_restart) {
      p.restart = true;
      return p;
    }
    p.items.push_back({AppendStatus::kStale, 0});
  }
  return p;
}

void MemoryStore::Commit(Room* r, std::span<const Input> msgs, Plan&& p) {
  int64_t delta = 0;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (p.items[i].status != AppendStatus::kAppended) continue;
    const Input& m = msgs[i];
    r->entries.push_back({p.items[i].offset, m.op, m.pos, std::string(m.body)});
    delta += kEntryOverhead + static_cast<int64_t>(m.body.size());
  }
  while (r->entries.size() > static_cast<size_t>(cfg_.perRoom)) {
    delta -= kEntryOverhead + static_cast<int64_t>(r->entries.front().body.size());
    r->entries.pop_front();
  }
  r->last = std::move(p.last);
  r->next = p.next;
  Account(r, delta);
}

MemoryStore::Room* MemoryStore::Get(std::string_view room, Clock::time_point now, bool* created) {
  auto it = rooms_.find(room);
  if (it != rooms_.end()) {
    *created = false;
    return it->second.get();
  }
  *created = true;
  Metrics::Get().epochs_new->Inc();
  Metrics::Get().memory_rooms->Add(1);
  auto owned = std::make_unique<Room>();
  Room* r = owned.get();
  r->name = room;
  r->epoch = NewEpoch();
  r->list = kEmpty;
  lru_[kEmpty].push_front(r);
  r->lru = lru_[kEmpty].begin();
  r->expires = now + std::chrono::duration_cast<Clock::duration>(cfg_.ttl);
  rooms_.emplace(r->name, std::move(owned));
  Account(r, kRoomOverhead + 2 * static_cast<int64_t>(room.size()) +
                 static_cast<int64_t>(r->epoch.size()));
  return r;
}

void MemoryStore::StartEpoch(Room* r) {
  int64_t freed = 0;
  for (const Entry& e : r->entries) freed += kEntryOverhead + static_cast<int64_t>(e.body.size());
  r->entries.clear();
  r->last.clear();
  r->next = 1;
  r->epoch = NewEpoch();
  Account(r, -freed);
}

void MemoryStore::Touch(Room* r, Clock::time_point now) {
  r->expires = now + std::chrono::duration_cast<Clock::duration>(cfg_.ttl);
  const int to = r->entries.empty() ? kEmpty : kStored;
  lru_[to].splice(lru_[to].begin(), lru_[r->list], r->lru);
  r->list = to;
}

void MemoryStore::Account(Room* r, int64_t delta) {
  r->bytes += delta;
  bytes_ += delta;
  Metrics::Get().memory_bytes->Add(delta);
}

void MemoryStore::Drop(Room* r) {
  Metrics::Get().memory_rooms->Sub(1);
  Metrics::Get().memory_bytes->Sub(r->bytes);
  bytes_ -= r->bytes;
  lru_[r->list].erase(r->lru);
  rooms_.erase(r->name);  // frees r
}

void MemoryStore::ExpireRooms(Clock::time_point now) {
  // Every room's expiry is its last touch + ttl and each list is in touch order, so the expired
  // ones are at the backs.
  for (auto& list : lru_) {
    while (!list.empty() && list.back()->expires <= now) {
      Metrics::Get().expired_rooms->Inc();
      Drop(list.back());
    }
  }
}

void MemoryStore::Evict(const Room* keep) {
  Metrics& m = Metrics::Get();
  for (auto& list : lru_) {
    while (bytes_ > cfg_.memory.maxBytes && !list.empty() && list.back() != keep) {
      m.evicted_rooms->Inc();
      m.evicted_messages->Inc(list.back()->entries.size());
      Drop(list.back());
    }
  }
}

ReadReply MemoryStore::Fetch(std::string_view room, const Query& q) {
  View v;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Now();
    ExpireRooms(now);
    bool created = false;
    Room* r = Get(room, now, &created);
    if (created) Evict(r);
    v.epoch = r->epoch;
    v.newest = r->next - 1;
    v.first_retained = r->entries.empty() ? 0 : r->entries.front().offset;
    const int64_t floor = FetchFloor(q, r->epoch, v.newest);
    size_t take = 0;
    const size_t n = r->entries.size();
    while (take < n && static_cast<int64_t>(take) < q.limit &&
           r->entries[n - 1 - take].offset > floor)
      ++take;
    v.tail.reserve(take);
    for (size_t i = n - take; i < n; ++i) {
      const Entry& e = r->entries[i];
      v.tail.push_back({e.offset, e.op, e.body});
    }
  }
  return Shape(q, std::move(v));
}

}  // namespace goim::history
