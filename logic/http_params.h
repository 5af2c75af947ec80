// What logic's HTTP handlers share: Params, the query of one request (single values, lists, typed
// parsing with messages that name the parameter), and goim's envelope replies.
#pragma once

#include <charconv>
#include <string>
#include <vector>

#include "logic/http_api.h"
#include "logic/result.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/http_server.h"
#include "pkg/net/url.h"
#include "pkg/strings/strings.h"

namespace goim::logic {

inline metrics::Counter* BadRequests() {
  static metrics::Counter* c = metrics::Registry::Default().NewCounter(
      "goim_logic_http_bad_request_total",
      "HTTP API requests refused for bad or missing parameters");
  return c;
}

inline net::HttpResponse Reply(int code, const std::string& message, int status = 200) {
  net::HttpResponse r;
  r.status = status;
  r.body = Envelope(code, message);
  return r;
}

inline net::HttpResponse Data(json::Json data) {
  net::HttpResponse r;
  r.body = Envelope(kOk, "", std::move(data));
  return r;
}

class Params {
 public:
  explicit Params(const std::string& query) : q_(net::ParseQuery(query, &bad_)) {}
  const std::string& bad() const { return bad_; }

  const std::string* First(const std::string& name) const {
    for (const auto& [k, v] : q_) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  // Every value of a repeated parameter, each also split at commas; empty items dropped.
  std::vector<std::string> List(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : q_) {
      if (k != name) continue;
      for (std::string& item : strings::SplitNonEmpty(v, ',')) out.push_back(std::move(item));
    }
    return out;
  }
  template <class I>
  static bool ParseInt(const std::string& s, I* out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
  }
  // An integer parameter. required: missing (or 0, as goim's binding:"required") is an error.
  template <class I>
  bool Int(const std::string& name, bool required, I* out, std::string* err) const {
    *out = 0;
    const std::string* v = First(name);
    if (!v || v->empty()) {
      if (required) *err = name + ": required";
      return !required;
    }
    if (!ParseInt(*v, out)) {
      *err = name + ": '" + *v + "' is not a valid " + (sizeof(I) == 4 ? "int32" : "int64");
      return false;
    }
    if (required && *out == 0) {
      *err = name + ": required (must not be 0)";
      return false;
    }
    return true;
  }
  bool String(const std::string& name, std::string* out, std::string* err) const {
    const std::string* v = First(name);
    if (!v || v->empty()) {
      *err = name + ": required";
      return false;
    }
    *out = *v;
    return true;
  }

 private:
  std::string bad_;
  net::QueryParams q_;
};

}  // namespace goim::logic
