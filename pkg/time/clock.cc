#include "pkg/time/clock.h"

#include "pkg/net/asio.h"

namespace goim::time {

namespace {

class SystemAlarm final : public Alarm {
 public:
  SystemAlarm(asio::io_context& io, std::function<void()> fire)
      : timer_(io), fire_(std::move(fire)) {}
  void At(TimePoint when) override {
    timer_.expires_at(when);  // cancels the previous wait
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec != asio::error::operation_aborted) fire_();
    });
  }

 private:
  asio::steady_timer timer_;
  std::function<void()> fire_;
};

class System final : public Clock {
 public:
  TimePoint Now() const override { return SteadyClock::now(); }
  std::unique_ptr<Alarm> NewAlarm(asio::io_context& io, std::function<void()> fire) override {
    return std::make_unique<SystemAlarm>(io, std::move(fire));
  }
};

}  // namespace

Clock& SystemClock() {
  static System clock;
  return clock;
}

}  // namespace goim::time
