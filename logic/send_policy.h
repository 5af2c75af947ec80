// logic::SendPolicy: what a viewer's danmaku must pass before it is pushed (send.* in
// configs/logic.yaml): a room to send to, a body that is not empty and at most send.maxBodyBytes
// of UTF-8 (bytes that are not UTF-8 become U+FFFD first, as everywhere a client's bytes become a
// string), and the rate limits, per sender (its mid, or its key when the mid is 0) and per room.
// A refusal names its code, its reason (the metrics label) and a message for the client.
// [thread-safe]
#pragma once

#include <cstdint>
#include <string>

#include "logic/config.h"
#include "logic/rate_limiter.h"
#include "pkg/time/clock.h"

namespace goim::logic {

// The codes of a refused send, in the {"code":N,"message":".."} body of its reply frame.
inline constexpr int kSendBadRequest = -400;  // an empty body, or a sender in no room
inline constexpr int kSendDenied = -403;      // the send hook said no
inline constexpr int kSendTooLong = -413;     // over send.maxBodyBytes
inline constexpr int kSendRateLimited = -429;
inline constexpr int kSendFailed = -500;      // the queue refused the push
inline constexpr int kSendHookFailed = -503;  // the send hook failed, send.hook.onFailure deny

struct SendRefusal {
  int code = 0;  // 0: not refused
  const char* reason = "";
  std::string message;
  bool refused() const { return code != 0; }
};

// The reply body of a refused send.
std::string RefusalBody(const SendRefusal& r);

class SendPolicy {
 public:
  SendPolicy(const Config::Send& cfg, time::Clock& clock);

  // Makes *body valid UTF-8, then checks it; the limits count only what passed the other checks.
  SendRefusal Check(int64_t mid, const std::string& key, const std::string& room,
                    std::string* body);

 private:
  const int32_t max_body_;
  RateLimiter senders_;
  RateLimiter rooms_;
};

}  // namespace goim::logic
