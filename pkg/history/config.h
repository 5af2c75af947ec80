// history::Config: the `history` section of room history and recovery (issue 14). Services bind
// it with b.Section("history", history); the comments of configs/*.yaml say what each key does.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "pkg/conf/conf.h"

namespace goim::history {

struct Config {
  bool enabled = true;
  std::string store = "memory";  // memory (standalone: one process) | redis (cluster)
  int32_t perRoom = 100;         // messages kept per room (the stream's MAXLEN)
  // A room's history (and epoch) expires this long after its last append.
  conf::Duration ttl = std::chrono::hours(24);
  int32_t maxRequest = 100;  // the most messages one read returns (a client's "history": N)
  // How far (in queue offsets of one partition) a re-consumed message may lie behind the newest
  // one appended before it is taken for a queue that started over (topic recreated): the room
  // then starts a new epoch. A job crash re-consumes at most its uncommitted window (job's
  // consumer.maxInflight plus one commitInterval of messages), far below this.
  int64_t maxRewind = 1000000;
  // Not a YAML key: the largest room offset. Frames carry the offset in the header's seq, an
  // int32, so a room that reaches it starts a new epoch (at 1,000 messages/s, after 24 days).
  // Tests lower it.
  int64_t maxOffset = INT32_MAX;
  struct Memory {
    // Bytes of all rooms together (bodies plus a fixed overhead per message and room); above
    // it the least recently appended rooms are evicted whole (their epoch ends), counted.
    int64_t maxBytes = 64 << 20;
    void Bind(conf::Binder& b) { b.Field("maxBytes", maxBytes); }
  } memory;
  struct Redis {
    std::string addr = "127.0.0.1:6379";
    std::string password;  // AUTH when set
    int32_t db = 0;        // SELECT when not 0 (Redis Cluster has only db 0)
    std::string keyPrefix = "goim:history:";
    int32_t pool = 8;  // connections at most; callers beyond it wait up to `timeout`
    conf::Duration connectTimeout = std::chrono::seconds(1);
    conf::Duration timeout = std::chrono::milliseconds(500);  // one command's reply
    // After a failed connect, calls fail at once for this long instead of each waiting for
    // connectTimeout (the job's loop thread must not stall on a Redis that is down).
    conf::Duration retryInterval = std::chrono::seconds(1);
    void Bind(conf::Binder& b) {
      b.Field("addr", addr);
      b.Field("password", password);
      b.Field("db", db);
      b.Field("keyPrefix", keyPrefix);
      b.Field("pool", pool);
      b.Field("connectTimeout", connectTimeout);
      b.Field("timeout", timeout);
      b.Field("retryInterval", retryInterval);
    }
  } redis;

  void Bind(conf::Binder& b) {
    b.Field("enabled", enabled);
    b.Field("store", store);
    b.Field("perRoom", perRoom);
    b.Field("ttl", ttl);
    b.Field("maxRequest", maxRequest);
    b.Field("maxRewind", maxRewind);
    b.Section("memory", memory);
    b.Section("redis", redis);
  }
  // "" or a message naming the first bad key ("history.perRoom: must be in 1..100000"), keys
  // written relative to the section as prefix names it.
  std::string Validate(const std::string& prefix = "history.") const;
};

// host and port of an "host:port" address; false when it is not one.
bool SplitAddr(const std::string& addr, std::string* host, int* port);

}  // namespace goim::history
