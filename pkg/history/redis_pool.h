// history::RedisPool: blocking hiredis connections to one Redis, shared by the calling threads.
// A call takes an idle connection (or opens one, up to `size`; beyond that it waits up to the
// command timeout), runs one command and gives the connection back. A connection that saw an I/O
// error or a timeout is closed (a late reply would answer the next command) and the next call
// opens a new one. A call that failed on a connection that had been idle (Redis restarted
// meanwhile) closes the other idle ones and is tried once more on a fresh connection; commands
// sent through here are idempotent (the append script is, by queue position), so a retry after
// a half-done call is safe. After a failed connect, calls fail at once for retryInterval.
// [thread-safe]
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace goim::history {

struct ReplyDeleter {
  void operator()(redisReply* r) const;
};
using RedisReply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisPool {
 public:
  using Duration = std::chrono::nanoseconds;
  struct Options {
    std::string host;
    int port = 6379;
    std::string password;
    int db = 0;
    int size = 8;
    Duration connect_timeout = std::chrono::seconds(1);
    Duration timeout = std::chrono::milliseconds(500);
    Duration retry_interval = std::chrono::seconds(1);
  };

  explicit RedisPool(Options o);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  using Command = std::vector<std::string_view>;

  // Runs one command. nullptr with *error set when no reply came (no connection, I/O error,
  // timeout); an error reply of Redis (REDIS_REPLY_ERROR) is returned like any other reply.
  RedisReply Run(const Command& argv, std::string* error);
  // Sends the commands back to back and reads their replies: one round trip. false with *error
  // set when a reply is missing; replies then holds none.
  bool Pipeline(std::span<const Command> cmds, std::vector<RedisReply>* replies,
                std::string* error);

 private:
  using Clock = std::chrono::steady_clock;
  redisContext* Take(std::string* error, bool* reused);
  void Give(redisContext* c, bool healthy);
  void CloseIdle();
  redisContext* Connect(std::string* error);

  const Options o_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<redisContext*> idle_;
  int open_ = 0;  // idle + in use + being opened
  Clock::time_point down_until_{};
  std::string down_why_;
};

// A reply's text for error messages ("ERR ...", "NOSCRIPT ...").
std::string ReplyText(const redisReply* r);

}  // namespace goim::history
