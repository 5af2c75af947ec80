#include "pkg/history/redis_pool.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

#include "pkg/history/metrics.h"

namespace goim::history {

void ReplyDeleter::operator()(redisReply* r) const { freeReplyObject(r); }

std::string ReplyText(const redisReply* r) {
  if (r == nullptr) return "no reply";
  if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_STRING)
    return std::string(r->str, r->len);
  return "reply of type " + std::to_string(r->type);
}

namespace {

timeval ToTimeval(std::chrono::nanoseconds d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

// hiredis writes with write(2): a peer that closed the connection would raise SIGPIPE, whose
// default action ends the process. The signal is blocked on this thread for the call, and one
// that the call raised is taken off the pending set before the mask is restored.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// The commands' replies, sent as one pipeline; false (and *err_no) at the first missing reply.
bool Exchange(redisContext* c, std::span<const RedisPool::Command> cmds,
              std::vector<RedisReply>* replies, int* err_no) {
  SigpipeGuard guard;
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const RedisPool::Command& argv : cmds) {
    args.clear();
    lens.clear();
    for (std::string_view a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()) !=
        REDIS_OK)
      return false;
  }
  replies->clear();
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* r = nullptr;
    errno = 0;
    if (redisGetReply(c, &r) != REDIS_OK || r == nullptr) {
      *err_no = errno;
      replies->clear();
      return false;
    }
    replies->emplace_back(static_cast<redisReply*>(r));
  }
  return true;
}

bool TimedOut(int err_no) { return err_no == EAGAIN || err_no == EWOULDBLOCK; }

}  // namespace

RedisPool::RedisPool(Options o) : o_(std::move(o)) {}

RedisPool::~RedisPool() { CloseIdle(); }

RedisReply RedisPool::Run(const Command& argv, std::string* error) {
  std::vector<RedisReply> replies;
  if (!Pipeline(std::span<const Command>(&argv, 1), &replies, error)) return nullptr;
  return std::move(replies[0]);
}

bool RedisPool::Pipeline(std::span<const Command> cmds, std::vector<RedisReply>* replies,
                         std::string* error) {
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    redisContext* c = Take(error, &reused);
    if (c == nullptr) return false;
    int err_no = 0;
    if (Exchange(c, cmds, replies, &err_no)) {
      Give(c, true);
      return true;
    }
    *error = TimedOut(err_no) ? "no reply within redis.timeout" : std::string(c->errstr);
    Give(c, false);
    if (!reused || TimedOut(err_no) || attempt > 0) return false;
    CloseIdle();  // they were opened to the same server as this one and are likely dead too
  }
}

redisContext* RedisPool::Take(std::string* error, bool* reused) {
  std::unique_lock<std::mutex> lock(mu_);
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(o_.timeout);
  for (;;) {
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      *reused = true;
      return c;
    }
    if (open_ < o_.size) {
      if (Clock::now() < down_until_) {
        *error = down_why_ + " (next try within redis.retryInterval)";
        return nullptr;
      }
      ++open_;
      lock.unlock();
      redisContext* c = Connect(error);
      lock.lock();
      if (c == nullptr) {
        --open_;
        down_until_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(o_.retry_interval);
        down_why_ = *error;
        freed_.notify_one();
        return nullptr;
      }
      *reused = false;
      return c;
    }
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= o_.size) {
      *error = "all " + std::to_string(o_.size) + " connections busy (redis.pool)";
      return nullptr;
    }
  }
}

void RedisPool::Give(redisContext* c, bool healthy) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (healthy) {
      idle_.push_back(c);
      c = nullptr;
    } else {
      --open_;
    }
  }
  if (c != nullptr) redisFree(c);
  freed_.notify_one();
}

void RedisPool::CloseIdle() {
  std::vector<redisContext*> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
  }
  for (redisContext* c : idle) redisFree(c);
  freed_.notify_all();
}

redisContext* RedisPool::Connect(std::string* error) {
  Metrics::Get().redis_connects->Inc();
  redisContext* c =
      redisConnectWithTimeout(o_.host.c_str(), o_.port, ToTimeval(o_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    *error = c ? std::string("connect: ") + c->errstr : "connect: out of memory";
    if (c != nullptr) redisFree(c);
    return nullptr;
  }
  if (redisSetTimeout(c, ToTimeval(o_.timeout)) != REDIS_OK ||
      redisEnableKeepAlive(c) != REDIS_OK) {
    *error = std::string("socket options: ") + c->errstr;
    redisFree(c);
    return nullptr;
  }
  auto setup = [&](const Command& argv) {
    int err_no = 0;
    std::vector<RedisReply> r;
    if (Exchange(c, std::span<const Command>(&argv, 1), &r, &err_no) &&
        r[0]->type != REDIS_REPLY_ERROR)
      return true;
    *error =
        std::string(argv[0]) + ": " + (r.empty() ? std::string(c->errstr) : ReplyText(r[0].get()));
    return false;
  };
  const std::string db = std::to_string(o_.db);
  if ((!o_.password.empty() && !setup({"AUTH", o_.password})) ||
      (o_.db != 0 && !setup({"SELECT", db}))) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

}  // namespace goim::history
