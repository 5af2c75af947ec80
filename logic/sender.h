// logic::Sender: the viewers' send path. A client's op-4 frame reaches logic's Receive with the
// sender's mid, key and room; it passes SendPolicy (room, length, rate limits), then the send
// hook when one is configured (allow, deny or a rewritten body), and is pushed to the sender's
// room with send.operation through the same queue as POST /goim/push/room (job batches it, keeps
// the room's order). The reply body for the comet's echo is "" when the push was accepted by the
// queue, else {"code":N,"message":".."} (codes in send_policy.h). Each send is counted:
// goim_logic_send_total{result="accepted"} or goim_logic_send_refused_total{reason}. [thread-safe]
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "logic/config.h"
#include "logic/hooks.h"
#include "logic/result.h"
#include "logic/send_policy.h"
#include "pkg/time/clock.h"

namespace goim::logic {

class Sender {
 public:
  // Produces a room push (room = "type://id" as the comet names it).
  using Push =
      std::function<void(int32_t op, const std::string& room, std::string msg, ResultFn done)>;
  Sender(const Config::Send& cfg, time::Clock& clock, Push push);

  // done(reply body) runs once: at once, or on the send hook's or the queue's thread.
  void Send(int64_t mid, const std::string& key, const std::string& room, std::string body,
            std::function<void(std::string)> done);
  // Fails the hook calls still pending and waits for their done. Idempotent.
  void Stop();

 private:
  void PushChecked(int64_t mid, const std::string& room, std::string body,
                   const std::function<void(std::string)>& done);
  // Counts the refusal, logs it (rate-limited) and answers with its body.
  static void Refuse(const SendRefusal& r, int64_t mid, const std::string& room,
                     const std::function<void(std::string)>& done);

  const Config::Send cfg_;
  SendPolicy policy_;
  Push push_;
  std::unique_ptr<SendHook> hook_;  // when send.hook.url is set
};

}  // namespace goim::logic
