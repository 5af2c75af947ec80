#include "logic/authenticator.h"

#include <chrono>

#include <glog/logging.h>

#include "pkg/log/log.h"

namespace goim::logic {

namespace {
int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Authenticator::Authenticator(const Config::Auth& cfg)
    : cfg_(cfg),
      failed_(metrics::Registry::Default().NewCounter(
          "goim_logic_connect_total{result=\"auth_failed\"}", "Connect calls by result")) {
  if (!cfg_.hook.url.empty()) hook_ = std::make_unique<ConnectHook>(cfg_.hook);
}

void Authenticator::Stop() {
  if (hook_) hook_->Stop();
}

void Authenticator::FromToken(const std::string& token,
                              const std::function<void(std::string, AuthToken)>& done) {
  AuthToken t;
  std::string err = VerifyToken(token, cfg_.secret, UnixNow(), &t);
  done(std::move(err), std::move(t));
}

void Authenticator::Authenticate(const std::string& server, const std::string& cookie,
                                 const std::string& token,
                                 std::function<void(std::string, AuthToken)> answer) {
  auto done = [this, server, answer = std::move(answer)](std::string err, AuthToken t) {
    if (!err.empty()) {
      failed_->Inc();
      LOG_EVERY_T(WARNING, 1) << "logic: auth failed server=" << server << " error("
                              << log::Printable(err, 256) << ")";
    }
    answer(std::move(err), std::move(t));
  };
  if (!hook_) return FromToken(token, done);
  hook_->Ask(server, cookie, token,
             [this, token, done = std::move(done)](ConnectVerdict v) mutable {
               switch (v.kind) {
                 case ConnectVerdict::kAccept:
                   // The history request is the client's: its own goim JSON token carries it
                   // unless the backend's answer set one.
                   if (!v.token.history.asked) {
                     AuthToken client;
                     ParseToken(token, &client);
                     v.token.history = std::move(client.history);
                   }
                   return done("", std::move(v.token));
                 case ConnectVerdict::kRefuse:
                   return done("connect hook: " + v.message, {});
                 case ConnectVerdict::kFailed:
                   if (cfg_.hook.onFailure == "refuse") return done(std::move(v.message), {});
                   // auth.hook.onFailure token: the client gets in as the token says.
                   return FromToken(token, done);
               }
             });
}

}  // namespace goim::logic
