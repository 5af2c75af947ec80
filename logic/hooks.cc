#include "logic/hooks.h"

#include <chrono>
#include <map>

#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include "pkg/json/json.h"
#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/async_http_client.h"

namespace goim::logic {

namespace {
constexpr const char* kFailureKinds[] = {"timeout",  "connect", "io",        "overload",
                                         "shutdown", "status",  "bad_answer"};
// Requests that may wait for a connection, per allowed connection.
constexpr size_t kQueuePerConn = 100;
}  // namespace

// One hook: its backend URL, a client of its own (connections, thread) and its metrics.
class HookCaller {
 public:
  // failure: nullptr when the backend answered 200 with a JSON object holding a boolean "allow"
  // (then in answer), else the kind, with what went wrong in error.
  using Done = std::function<void(const char* failure, const std::string& error,
                                  const json::Json& answer, const std::string& body)>;

  // answers: the labels of goim_logic_hook_answers_total this hook counts.
  HookCaller(const Config::Hook& cfg, const char* name, const char* thread,
             std::initializer_list<const char*> answers)
      : name_(name),
        timeout_(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.timeout)),
        client_(Options(cfg, thread)) {
    net::ParseHttpUrl(cfg.url, &url_);  // Config::Validate checked it
    auto& r = metrics::Registry::Default();
    std::string hook = std::string("hook=\"") + name + "\"";
    calls_ = r.NewCounter("goim_logic_hook_duration_microseconds_count{" + hook + "}",
                          "Backend hook calls");
    micros_ = r.NewCounter("goim_logic_hook_duration_microseconds_sum{" + hook + "}",
                           "Time backend hook calls took, answered or failed");
    for (const char* kind : kFailureKinds) {
      failures_[kind] =
          r.NewCounter("goim_logic_hook_failures_total{" + hook + ",kind=\"" + kind + "\"}",
                       "Backend hook calls that failed, by kind (README: The send path)");
    }
    for (const char* answer : answers) {
      answers_[answer] =
          r.NewCounter("goim_logic_hook_answers_total{" + hook + ",answer=\"" + answer + "\"}",
                       "Backend hook answers, by answer");
    }
  }
  ~HookCaller() { client_.Stop(); }

  void Call(const json::Json& request, Done done) {
    auto start = std::chrono::steady_clock::now();
    client_.Post(
        url_, json::Dump(request), "application/json", timeout_,
        [this, start, done = std::move(done)](net::AsyncHttpClient::Response r) {
          calls_->Inc();
          micros_->Inc(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count()));
          Answer(std::move(r), done);
        });
  }

  void Answered(const char* answer) { answers_.at(answer)->Inc(); }
  // A field of the answer had the wrong type: a bad answer after all.
  void BadField(const std::string& error) { Failed("bad_answer", error); }
  void Stop() { client_.Stop(); }

 private:
  static net::AsyncHttpClient::Options Options(const Config::Hook& cfg, const char* thread) {
    net::AsyncHttpClient::Options o;
    o.max_conns = cfg.maxConns;
    o.max_queue = kQueuePerConn * static_cast<size_t>(cfg.maxConns);
    o.name = thread;
    return o;
  }

  void Answer(net::AsyncHttpClient::Response r, const Done& done) {
    json::Json answer;
    const char* kind = nullptr;
    std::string error;
    if (r.failure != net::AsyncHttpClient::Failure::kNone) {
      kind = net::AsyncHttpClient::FailureName(r.failure);
      error = r.error;
    } else if (r.status != 200) {
      kind = "status";
      error = "status " + std::to_string(r.status);
    } else if (!json::Parse(r.body, &answer, &error) || !answer.is_object() ||
               !answer.contains("allow") || !answer.at("allow").is_boolean()) {
      kind = "bad_answer";
      if (error.empty()) error = "not a JSON object with a boolean \"allow\"";
    }
    if (kind) Failed(kind, error);
    done(kind, error, answer, r.body);
  }

  void Failed(const char* kind, const std::string& error) {
    failures_[kind]->Inc();
    LOG_EVERY_T(WARNING, 1) << "logic: " << name_ << " hook failed kind=" << kind
                            << " url=" << url_.host << ":" << url_.port << url_.target << " error("
                            << log::Printable(error, 256) << ")";
  }

  const char* name_;
  net::HttpUrl url_;
  std::chrono::milliseconds timeout_;
  metrics::Counter* calls_;
  metrics::Counter* micros_;
  std::map<std::string, metrics::Counter*> failures_;
  std::map<std::string, metrics::Counter*> answers_;
  net::AsyncHttpClient client_;  // last: stopped (and its callbacks done) before the rest goes
};

namespace {
// The answer's "message" when it is a string, else fallback.
std::string Message(const json::Json& answer, const char* fallback) {
  auto it = answer.find("message");
  return it != answer.end() && it->is_string() ? it->get<std::string>() : fallback;
}
}  // namespace

ConnectHook::ConnectHook(const Config::Hook& cfg)
    : caller_(std::make_unique<HookCaller>(
          cfg, "connect", "connect-hook", std::initializer_list<const char*>{"accept", "refuse"})) {
}
ConnectHook::~ConnectHook() = default;
void ConnectHook::Stop() { caller_->Stop(); }

void ConnectHook::Ask(const std::string& server, const std::string& cookie,
                      const std::string& token, std::function<void(ConnectVerdict)> done) {
  json::Json req;
  req["server"] = server;
  req["cookie"] = json::ValidUtf8(cookie);
  req["token"] = json::ValidUtf8(token);
  HookCaller* caller = caller_.get();
  caller_->Call(
      req, [caller, done = std::move(done)](const char* failure, const std::string& error,
                                            const json::Json& answer, const std::string& body) {
        ConnectVerdict v;
        if (failure) {
          v.message = std::string("connect hook failed (") + failure + "): " + error;
          return done(std::move(v));
        }
        if (!answer.at("allow").get<bool>()) {
          caller->Answered("refuse");
          v.kind = ConnectVerdict::kRefuse;
          v.message = Message(answer, "refused by the connect hook");
          return done(std::move(v));
        }
        // The rest is goim's auth JSON, read with goim's rules (unknown keys such as allow
        // skipped).
        if (std::string err = ParseToken(body, &v.token); !err.empty()) {
          caller->BadField(err);
          v.message = "connect hook failed (bad_answer): " + err;
          return done(std::move(v));
        }
        caller->Answered("accept");
        v.kind = ConnectVerdict::kAccept;
        done(std::move(v));
      });
}

SendHook::SendHook(const Config::Hook& cfg)
    : caller_(std::make_unique<HookCaller>(
          cfg, "send", "send-hook",
          std::initializer_list<const char*>{"allow", "rewrite", "deny"})) {}
SendHook::~SendHook() = default;
void SendHook::Stop() { caller_->Stop(); }

void SendHook::Ask(int64_t mid, const std::string& key, const std::string& room,
                   const std::string& body, std::function<void(SendVerdict)> done) {
  json::Json req;
  req["mid"] = mid;
  req["key"] = key;
  req["room"] = room;
  req["body"] = body;  // valid UTF-8 already (SendPolicy)
  HookCaller* caller = caller_.get();
  caller_->Call(
      req, [caller, done = std::move(done)](const char* failure, const std::string& error,
                                            const json::Json& answer, const std::string&) {
        SendVerdict v;
        if (failure) {
          v.message = std::string("send hook failed (") + failure + "): " + error;
          return done(std::move(v));
        }
        if (!answer.at("allow").get<bool>()) {
          caller->Answered("deny");
          v.kind = SendVerdict::kDeny;
          v.message = Message(answer, "refused by the send hook");
          return done(std::move(v));
        }
        if (auto it = answer.find("body"); it != answer.end() && !it->is_null()) {
          if (!it->is_string() || it->get<std::string>().empty()) {
            caller->BadField("\"body\" is not a string that is not empty");
            v.message = "send hook failed (bad_answer): body is not a string that is not empty";
            return done(std::move(v));
          }
          v.rewritten = true;
          v.body = it->get<std::string>();  // json::Parse made it valid UTF-8
        }
        caller->Answered(v.rewritten ? "rewrite" : "allow");
        v.kind = SendVerdict::kAllow;
        done(std::move(v));
      });
}

}  // namespace goim::logic
