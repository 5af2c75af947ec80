#include "logic/send_policy.h"

#include <nlohmann/json.hpp>

#include "pkg/json/json.h"

namespace goim::logic {

std::string RefusalBody(const SendRefusal& r) {
  json::Json v;
  v["code"] = r.code;
  v["message"] = r.message;
  return json::Dump(v);
}

SendPolicy::SendPolicy(const Config::Send& cfg, time::Clock& clock)
    : max_body_(cfg.maxBodyBytes),
      senders_(cfg.rate.burst, cfg.rate.perSecond, static_cast<size_t>(cfg.maxTracked), clock,
               "mid"),
      rooms_(cfg.roomRate.burst, cfg.roomRate.perSecond, static_cast<size_t>(cfg.maxTracked), clock,
             "room") {}

SendRefusal SendPolicy::Check(int64_t mid, const std::string& key, const std::string& room,
                              std::string* body) {
  std::string valid = json::ValidUtf8(*body);
  if (valid != *body) {
    static metrics::Counter* repaired = metrics::Registry::Default().NewCounter(
        "goim_logic_send_repaired_total", "Sends whose bytes that are not UTF-8 became U+FFFD");
    repaired->Inc();
    *body = std::move(valid);
  }
  if (room.empty()) return {kSendBadRequest, "no_room", "not in a room"};
  if (body->empty()) return {kSendBadRequest, "empty", "empty body"};
  if (body->size() > static_cast<size_t>(max_body_))
    return {kSendTooLong, "too_long",
            "body over the limit of " + std::to_string(max_body_) + " bytes"};
  // Anonymous clients (mid 0) are told apart by their key, else they would share one bucket.
  if (!senders_.Take(mid != 0 ? "m" + std::to_string(mid) : "k" + key))
    return {kSendRateLimited, "rate", "too many sends, slow down"};
  if (!rooms_.Take(room)) return {kSendRateLimited, "room_rate", "too many sends to this room"};
  return {};
}

}  // namespace goim::logic
