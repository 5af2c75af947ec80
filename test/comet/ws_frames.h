// The server's WebSocket frames as they are on the wire (opcode, RSV1 and payload, not through the
// goim client), and the Close-frame checks the comet's WebSocket tests share.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/websocket/frame.h"
#include "test/support/goim_client.h"

namespace goim::testing {

struct WsFrameIn {
  uint8_t opcode = 0;
  bool rsv1 = false;
  std::string payload;
};

// Reads the server's frames off c's socket until `stop` holds for one of them or the server
// closes (`*eof`), within timeout.
inline std::vector<WsFrameIn> ReadServerFrames(Client& c,
                                               const std::function<bool(const WsFrameIn&)>& stop,
                                               bool* eof, std::chrono::milliseconds timeout = 5s) {
  std::vector<WsFrameIn> out;
  std::string in;
  *eof = false;
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    websocket::FrameHeader h;
    auto fe = websocket::ParseHeader({reinterpret_cast<const uint8_t*>(in.data()), in.size()},
                                     false, 1 << 20, &h, true);
    if (fe == websocket::FrameError::kOk && in.size() >= h.header_len + h.payload_len) {
      out.push_back(
          {h.opcode, h.rsv1, in.substr(h.header_len, static_cast<size_t>(h.payload_len))});
      in.erase(0, h.header_len + static_cast<size_t>(h.payload_len));
      if (stop(out.back())) return out;
      continue;
    }
    EXPECT_TRUE(fe == websocket::FrameError::kOk || fe == websocket::FrameError::kNeedMore)
        << websocket::FrameErrorName(fe);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{c.fd(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
    char buf[4096];
    ssize_t n = ::read(c.fd(), buf, sizeof buf);
    if (n <= 0) {
      *eof = true;
      return out;
    }
    in.append(buf, static_cast<size_t>(n));
  }
}

// Bytes onto the socket as they are (Client::SendRaw wraps them in a WebSocket frame).
inline bool WriteRaw(Client& c, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(c.fd(), bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

inline std::string Code(uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
}

// Sends `bytes` and expects a Close frame with `want` as its payload, then the end of the TCP
// connection; the frames before the Close frame are returned.
inline std::vector<WsFrameIn> ExpectCloseFrame(Client& c, const std::string& bytes,
                                               const std::string& want, const std::string& what) {
  EXPECT_TRUE(WriteRaw(c, bytes)) << what;
  bool eof;
  auto frames = ReadServerFrames(
      c, [](const WsFrameIn& f) { return f.opcode == websocket::kClose; }, &eof);
  EXPECT_FALSE(frames.empty()) << what << ": the connection ended without a Close frame";
  if (frames.empty()) return frames;
  EXPECT_EQ(frames.back().opcode, websocket::kClose) << what;
  EXPECT_EQ(frames.back().payload, want) << what;
  // After its Close frame the server closes the TCP connection (RFC 6455 5.5.1, 7.1.1).
  ReadServerFrames(
      c, [](const WsFrameIn&) { return true; }, &eof);
  EXPECT_TRUE(eof) << what;
  frames.pop_back();
  return frames;
}

}  // namespace goim::testing
