// What the room history e2e suites share: a client that authenticates with history fields and
// reads room messages apart from op 18 position notices (test/e2e/history_test.cc,
// history_store_test.cc).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/json/json.h"
#include "test/support/goim_client.h"

namespace goim::e2e {

using testing::Client;
using testing::Frame;
using Transport = Client::Transport;
using namespace std::chrono_literals;

constexpr int32_t kOp = 1000;
constexpr int32_t kOpPosition = 18;

inline json::Json Parse(const std::string& body) {
  json::Json v;
  std::string err;
  EXPECT_TRUE(json::Parse(body, &v, &err)) << body;
  return v;
}

// A connection to a comet, authed into room with more auth JSON fields (`extra`, "" for none).
struct Viewer {
  std::unique_ptr<Client> c;
  json::Json reply;  // the op 8 body (null when it was empty)
  bool ok = false;

  Viewer(const std::string& addr, Transport t, const std::string& room, const std::string& extra) {
    std::string err;
    c = Client::Dial(addr, t, &err);
    if (!c) {
      ADD_FAILURE() << err;
      return;
    }
    std::string tok = testing::Token(0, "", room, {kOp});
    if (!extra.empty()) tok.insert(tok.size() - 1, "," + extra);
    if (!c->Send(7, 1, tok)) return;
    auto f = c->ReadOp(8, 10s);
    if (!f) {
      ADD_FAILURE() << "no auth reply for " << tok;
      return;
    }
    ok = true;
    if (!f->body.empty()) reply = Parse(f->body);
  }
  // The next room message (op 1000), or nullopt after timeout; op 18 notices are kept.
  std::optional<Frame> Next(std::chrono::milliseconds timeout = 10s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto f = c->Read(std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now()));
      if (!f) return std::nullopt;
      if (f->op == kOp) return f;
      if (f->op == kOpPosition) positions.push_back(Parse(f->body));
    }
    return std::nullopt;
  }
  // The next n room messages (fewer when they stop coming).
  std::vector<Frame> Take(int n, std::chrono::milliseconds timeout = 20s) {
    std::vector<Frame> out;
    while (static_cast<int>(out.size()) < n) {
      auto f = Next(timeout);
      if (!f) break;
      out.push_back(std::move(*f));
    }
    return out;
  }
  std::string epoch() const { return reply.is_object() ? reply.value("epoch", "") : ""; }
  int64_t offset() const { return reply.is_object() ? reply.value("offset", int64_t{-1}) : -1; }
  bool recovered() const { return reply.is_object() && reply.value("recovered", false); }
  std::vector<json::Json> positions;
};

// Message i of a test's room is "m<i>"; its room offset is first + i.
inline std::string Body(int i) { return "m" + std::to_string(i); }

}  // namespace goim::e2e
