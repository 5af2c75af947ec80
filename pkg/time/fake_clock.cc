#include "pkg/time/fake_clock.h"

#include <algorithm>
#include <future>

#include "pkg/net/asio.h"

namespace goim::time {

class FakeClock::FakeAlarm final : public Alarm {
 public:
  FakeAlarm(FakeClock* clock, std::shared_ptr<Entry> e) : clock_(clock), e_(std::move(e)) {}
  ~FakeAlarm() override { clock_->Drop(e_); }
  void At(TimePoint when) override { clock_->Arm(e_, when); }

 private:
  FakeClock* clock_;
  std::shared_ptr<Entry> e_;
};

FakeClock::FakeClock(TimePoint start) : now_(start) {}

FakeClock::~FakeClock() = default;

TimePoint FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

std::unique_ptr<Alarm> FakeClock::NewAlarm(asio::io_context& io, std::function<void()> fire) {
  auto e = std::make_shared<Entry>();
  e->io = &io;
  e->fire = std::move(fire);
  std::lock_guard<std::mutex> lock(mu_);
  alarms_.push_back(e);
  return std::make_unique<FakeAlarm>(this, std::move(e));
}

void FakeClock::Arm(const std::shared_ptr<Entry>& e, TimePoint when) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    e->when = when;
    e->armed = when > now_;
    if (e->armed) return;
  }
  asio::post(*e->io, [e] {
    if (e->alive) e->fire();
  });
}

void FakeClock::Drop(const std::shared_ptr<Entry>& e) {
  e->alive = false;
  std::lock_guard<std::mutex> lock(mu_);
  alarms_.erase(std::remove(alarms_.begin(), alarms_.end(), e), alarms_.end());
}

std::optional<TimePoint> FakeClock::NextAlarm() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<TimePoint> next;
  for (const auto& e : alarms_) {
    if (e->armed && (!next || e->when < *next)) next = e->when;
  }
  return next;
}

bool FakeClock::Advance(Duration d) {
  std::vector<std::shared_ptr<Entry>> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
    for (auto& e : alarms_) {
      if (e->armed && e->when <= now_) {
        e->armed = false;
        due.push_back(e);
      }
    }
  }
  std::vector<std::future<void>> ran;
  for (auto& e : due) {
    auto done = std::make_shared<std::promise<void>>();
    ran.push_back(done->get_future());
    asio::post(*e->io, [e, done] {
      if (e->alive) e->fire();
      done->set_value();
    });
  }
  bool ok = true;
  for (auto& r : ran) ok = r.wait_for(std::chrono::seconds(10)) == std::future_status::ready && ok;
  return ok;
}

}  // namespace goim::time
