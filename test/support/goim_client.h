// A blocking goim client written from goim's protocol description (TCP and WebSocket), for
// tests: auth, heartbeat, sub/unsub, change room, reading pushes (OpRaw unwrapped, compressed
// batches of version 2 and 3 inflated, permessage-deflate messages inflated when the upgrade
// agreed it), and raw bytes for bad-input tests. Every read waits with a timeout; nothing sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace goim::testing {

using namespace std::chrono_literals;

struct Frame {
  int32_t ver = 0;
  int32_t op = 0;
  int32_t seq = 0;
  std::string body;
};

class Client {
 public:
  enum class Transport { kTcp, kWs };

  // Connects to host:port; for WebSocket also upgrades at path (status = the HTTP status seen).
  static std::unique_ptr<Client> Dial(const std::string& addr, Transport t,
                                      std::string* err = nullptr, const std::string& path = "/sub",
                                      int* status = nullptr, const std::string& extra_headers = "");
  ~Client();

  bool Send(int32_t op, int32_t seq, std::string_view body, int32_t ver = 1);
  // Bytes as they are (TCP), or one WebSocket frame around them.
  bool SendRaw(std::string_view bytes);
  bool SendWs(std::string_view payload, uint8_t opcode = 2, bool fin = true, bool masked = true,
              bool rsv1 = false);

  // The next goim frame (inner frames of an OpRaw come one by one), or nullopt on timeout/close.
  std::optional<Frame> Read(std::chrono::milliseconds timeout = 5s);
  // Reads until a frame with op arrives; other frames are kept for later Read calls.
  std::optional<Frame> ReadOp(int32_t op, std::chrono::milliseconds timeout = 5s);
  // The body of the next frame (or of the next frame with op), "<nothing>" when none came: for
  // assertions that must fail, not crash.
  std::string ReadBody(std::chrono::milliseconds timeout = 5s) {
    auto f = Read(timeout);
    return f ? f->body : "<nothing>";
  }
  std::string ReadOpBody(int32_t op, std::chrono::milliseconds timeout = 5s) {
    auto f = ReadOp(op, timeout);
    return f ? f->body : "<nothing>";
  }
  // Sends op 7 and waits for op 8.
  bool Auth(const std::string& token, std::chrono::milliseconds timeout = 5s, int32_t seq = 1);
  // Sends op 2 and returns the online count of the op 3 reply.
  std::optional<int32_t> Heartbeat(int32_t seq = 2, std::chrono::milliseconds timeout = 5s);
  // True once the server has closed the connection (within timeout).
  bool WaitClosed(std::chrono::milliseconds timeout = 5s);
  bool closed() const { return closed_; }

  // WebSocket: how many messages arrived and the outer op of the last one.
  int ws_messages() const { return ws_messages_; }
  int32_t last_ws_op() const { return last_ws_op_; }
  // The upgrade response's header; whether it agreed permessage-deflate.
  const std::string& response_head() const { return response_head_; }
  bool deflate() const { return deflate_; }
  // permessage-deflate messages (RSV1) and compressed batch frames (OpRaw ver 2 or 3) received.
  int compressed_messages() const { return compressed_messages_; }
  int compressed_frames() const { return compressed_frames_; }
  void StopReading();  // shrinks the receive buffer and stops reading (stalled client)
  int fd() const { return fd_; }

 private:
  Client(int fd, Transport t) : fd_(fd), t_(t) {}
  bool WriteAll(std::string_view bytes);
  // Reads more bytes into in_; false on timeout or close.
  bool Fill(std::chrono::steady_clock::time_point deadline);
  // Parses what is buffered into frames_.
  bool Parse();

  int fd_;
  Transport t_;
  std::string in_;
  std::deque<Frame> frames_;
  bool closed_ = false;
  int ws_messages_ = 0;
  int32_t last_ws_op_ = -1;
  std::string response_head_;
  bool deflate_ = false;
  int compressed_messages_ = 0;
  int compressed_frames_ = 0;
};

// One WebSocket frame as a client sends it (masked with a random key unless masked is false).
std::string WsFrame(std::string_view payload, uint8_t opcode = 2, bool fin = true,
                    bool masked = true, bool rsv1 = false);

// goim's auth token JSON.
std::string Token(int64_t mid, const std::string& key, const std::string& room,
                  const std::vector<int32_t>& accepts, const std::string& platform = "web");

}  // namespace goim::testing
