// logic::Authenticator: who a connecting client is. With a connect hook (auth.hook.url), the
// operator's backend says so; without one, or when the hook failed and auth.hook.onFailure is
// "token", the token says so as goim reads it (signed when auth.secret is set). A refusal by the
// backend, a failed hook with onFailure "refuse", or a bad token fail the connect: the comet
// closes the connection as for any failed auth. The room history request ("history", "offset",
// "epoch") is read from the hook's answer, else from the client's token when that is goim's JSON.
// [thread-safe]
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "logic/auth.h"
#include "logic/config.h"
#include "logic/hooks.h"
#include "pkg/metrics/metrics.h"

namespace goim::logic {

class Authenticator {
 public:
  explicit Authenticator(const Config::Auth& cfg);

  // done(error, token): error "" when accepted; a refusal is counted
  // (goim_logic_connect_total{result="auth_failed"}) and logged. Runs at once without a hook,
  // else on the hook's thread.
  void Authenticate(const std::string& server, const std::string& cookie, const std::string& token,
                    std::function<void(std::string, AuthToken)> done);
  // Fails the hook calls still pending and waits for their done. Idempotent.
  void Stop();

 private:
  void FromToken(const std::string& token, const std::function<void(std::string, AuthToken)>& done);

  const Config::Auth cfg_;
  metrics::Counter* failed_;
  std::unique_ptr<ConnectHook> hook_;  // when auth.hook.url is set
};

}  // namespace goim::logic
