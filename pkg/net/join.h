// net::Join: the end of a fan-out. Each of n parts reports once; done runs once, on the thread of
// the last report, with the first error and what the successful parts collected. [thread-safe]
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

namespace goim::net {

template <class T = std::monostate>
class Join {
 public:
  // error is "" when every part succeeded.
  using Done = std::function<void(const std::string& error, T result)>;

  // With n == 0, done runs at once.
  static std::shared_ptr<Join> Make(size_t n, Done done) {
    auto j = std::shared_ptr<Join>(new Join(n, std::move(done)));
    if (n == 0) j->done_("", T{});
    return j;
  }

  // One part's outcome: error "" for a success, whose collect(result) runs under the join's
  // lock; the first error is kept.
  template <class Collect>
  void Report(const std::string& error, Collect&& collect) {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (error.empty())
        collect(result_);
      else if (error_.empty())
        error_ = error;
      last = --pending_ == 0;
    }
    if (last) done_(error_, std::move(result_));
  }
  void Report(const std::string& error) {
    Report(error, [](T&) {});
  }

 private:
  Join(size_t n, Done done) : pending_(n), done_(std::move(done)) {}

  std::mutex mu_;
  size_t pending_;
  std::string error_;
  T result_{};
  Done done_;
};

}  // namespace goim::net
