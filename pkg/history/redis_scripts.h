// The Lua scripts of the Redis history store. Each touches the two keys of one room (KEYS[1] the
// meta hash, KEYS[2] the stream), which share a hash tag, so each runs atomically on one Redis
// Cluster slot. The append script follows the contract of store.h step for step, as MemoryStore
// does in C++; the shared test suite runs against both.
//
// Meta hash: epoch, next (the next room offset), src (the queue source of the positions),
// p:<partition> (the newest queue offset appended from that partition).
// Stream: one entry per message, ID "<room offset>-0", fields o (op), b (body), p, q (queue
// partition and offset), trimmed to exactly perRoom entries (XTRIM MAXLEN, once per batch). Both
// keys expire ttl after the last append.
#pragma once

#include <string>

namespace goim::history {

// KEYS: meta, stream. ARGV: a new epoch (used only when one starts), perRoom, ttl in ms,
// maxRewind, source, maxOffset, then per message: partition, queue offset, op, body.
// Returns {epoch, started, {status, offset, ...}}: started 0 (same epoch), 1 (the room had no
// history), 2 (the queue started over) or 3 (maxOffset reached); status 0 appended,
// 1 duplicate, 2 stale.
extern const char* const kAppendScript;

// KEYS: meta, stream. ARGV: a new epoch, ttl in ms. The room's epoch, made when it has none or
// its history is broken (meta without its stream): {epoch, created 0|1}. Reads themselves are a
// MULTI/EXEC of plain commands (RedisStore::Fetch): returning stream entries through Lua costs
// several times the XREVRANGE.
extern const char* const kEnsureScript;

// Lua's own SHA-1 hex, as EVALSHA names a script.
std::string ScriptSha(const char* script);

}  // namespace goim::history
