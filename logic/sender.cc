#include "logic/sender.h"

#include <map>

#include <glog/logging.h>

#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"

namespace goim::logic {

namespace {

struct SendCounters {
  metrics::Counter* accepted;
  metrics::Counter* rewritten;
  std::map<std::string, metrics::Counter*> refused;
  static SendCounters& Get() {
    static SendCounters c = [] {
      auto& r = metrics::Registry::Default();
      SendCounters s;
      s.accepted = r.NewCounter("goim_logic_send_total{result=\"accepted\"}",
                                "Danmaku sent over a connection and pushed to its room");
      s.rewritten = r.NewCounter("goim_logic_send_rewritten_total",
                                 "Danmaku pushed with the body the send hook gave");
      for (const char* reason : {"no_room", "empty", "too_long", "rate", "room_rate", "denied",
                                 "hook_failed", "queue"}) {
        s.refused[reason] =
            r.NewCounter(std::string("goim_logic_send_refused_total{reason=\"") + reason + "\"}",
                         "Danmaku refused, by reason (README: The send path)");
      }
      return s;
    }();
    return c;
  }
};

}  // namespace

Sender::Sender(const Config::Send& cfg, time::Clock& clock, Push push)
    : cfg_(cfg), policy_(cfg, clock), push_(std::move(push)) {
  SendCounters::Get();
  if (!cfg_.hook.url.empty()) hook_ = std::make_unique<SendHook>(cfg_.hook);
}

void Sender::Stop() {
  if (hook_) hook_->Stop();
}

void Sender::Refuse(const SendRefusal& r, int64_t mid, const std::string& room,
                    const std::function<void(std::string)>& done) {
  SendCounters::Get().refused.at(r.reason)->Inc();
  LOG_EVERY_T(INFO, 1) << "logic: send refused mid=" << mid << " room=" << log::Printable(room)
                       << " reason=" << r.reason << " error(" << log::Printable(r.message, 256)
                       << ")";
  done(RefusalBody(r));
}

void Sender::Send(int64_t mid, const std::string& key, const std::string& room, std::string body,
                  std::function<void(std::string)> done) {
  if (SendRefusal r = policy_.Check(mid, key, room, &body); r.refused())
    return Refuse(r, mid, room, done);
  if (!hook_) return PushChecked(mid, room, std::move(body), done);
  hook_->Ask(mid, key, room, body,
             [this, mid, room, body, done = std::move(done)](SendVerdict v) mutable {
               switch (v.kind) {
                 case SendVerdict::kAllow:
                   if (v.rewritten) {
                     SendCounters::Get().rewritten->Inc();
                     body = std::move(v.body);
                   }
                   return PushChecked(mid, room, std::move(body), done);
                 case SendVerdict::kDeny:
                   return Refuse({kSendDenied, "denied", v.message}, mid, room, done);
                 case SendVerdict::kFailed:
                   if (cfg_.hook.onFailure == "deny")
                     return Refuse({kSendHookFailed, "hook_failed", "send hook unavailable"}, mid,
                                   room, done);
                   // send.hook.onFailure allow: pushed unchecked by the backend.
                   return PushChecked(mid, room, std::move(body), done);
               }
             });
}

void Sender::PushChecked(int64_t mid, const std::string& room, std::string body,
                         const std::function<void(std::string)>& done) {
  push_(cfg_.operation, room, std::move(body), [mid, room, done](Result r) {
    if (!r.ok()) return Refuse({kSendFailed, "queue", "not pushed: " + r.message}, mid, room, done);
    SendCounters::Get().accepted->Inc();
    done("");
  });
}

}  // namespace goim::logic
