// The read contract in one place: what a store fetches for a query and how the reply is shaped
// from it, so the memory and Redis stores (and the Redis read script, which mirrors FetchFloor)
// cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/history/store.h"

namespace goim::history {

// What a store saw of a room for one query.
struct View {
  std::string epoch;
  int64_t newest = 0;
  int64_t first_retained = 0;  // 0: nothing retained
  // The newest q.limit retained messages with offset > FetchFloor(...), ascending.
  std::vector<Message> tail;
};

// The query with its limit clamped to [0, max_request].
Store::Query MakeQuery(bool last, int64_t after, std::string_view epoch, int64_t asked,
                       int32_t max_request);

// Messages above this offset are the ones the reply may need: `after` when the reader is
// positioned inside the room's current epoch, else 0 (the newest ones are given).
int64_t FetchFloor(const Store::Query& q, std::string_view epoch, int64_t newest);

// The reply to q from what was fetched.
ReadReply Shape(const Store::Query& q, View&& v);

// A new epoch: 8 characters of [0-9a-z], random.
std::string NewEpoch();

}  // namespace goim::history
