// history::RedisStore: the history of cluster mode in Redis (7.0 here; 6.2 at least, for
// exclusive stream ranges). Per room two keys, one capped stream and a small meta hash (layout in
// redis_scripts.h), named
//     <keyPrefix>{r:<room>}:s      <keyPrefix>{r:<room>}:m
// The braces are a Redis Cluster hash tag: both keys of a room hash to one slot, so each Lua
// script (which names both in KEYS) runs atomically on one node, and rooms spread over the
// slots. The tag text starts with "r:", so it is never empty, and both keys have the same text up
// to the first '}' even when the room name holds braces, so they share the tag in every case.
// (The hiredis client here speaks to one node; a cluster-aware client, or rooms sharded over
// nodes by the client, keep this layout.)
//
// Each append batch is one EVALSHA (the script is loaded again on NOSCRIPT, after a Redis restart
// or SCRIPT FLUSH); each read is one MULTI/EXEC pipeline of plain commands, plus one EVALSHA when
// the room's epoch has to be made. Durability is the operator's Redis configuration: AOF on
// (appendonly yes) keeps the history over a restart; appendfsync everysec may lose the last
// second of appends in a crash of the machine, and offsets handed out in that second would then
// be handed out again under the same epoch (appendfsync always closes that gap). [thread-safe]
#pragma once

#include <string>

#include "pkg/history/redis_pool.h"
#include "pkg/history/store.h"

namespace goim::history {

class RedisStore final : public Store {
 public:
  explicit RedisStore(const Config& cfg);

  // Connects, checks the server's version and loads the scripts: "" or why it cannot serve.
  std::string Check();

  // The room's two keys (tests look at them directly).
  std::string MetaKey(std::string_view room) const;
  std::string StreamKey(std::string_view room) const;

 protected:
  AppendReply Write(std::string_view room, std::string_view source,
                    std::span<const Input> msgs) override;
  ReadReply Fetch(std::string_view room, const Query& q) override;

 private:
  struct Script {
    const char* text;
    std::string sha;
  };
  // EVALSHA, loading the script when Redis does not know it. Error replies become *error.
  RedisReply Eval(const Script& s, const RedisPool::Command& argv, std::string* error);
  std::string Load(const Script& s);

  RedisPool pool_;
  Script append_;
  Script ensure_;
  std::string ttl_ms_;
};

}  // namespace goim::history
