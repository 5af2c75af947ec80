// websocket::MessageReader: the server's side of a client's frame stream (RFC 6455 5.4-5.5).
// Frames are read from a buffer the caller owns and unmasked in place; fragmented data messages
// are assembled (up to a size limit) and come out whole; control frames come out as they arrive,
// also between the fragments of a message. Any violation of the framing rules is one
// FrameError: the connection is then to be failed. The payload of a data message is not looked
// at: text messages come out as binary ones do (goim reads a frame from either). [single thread]
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "pkg/websocket/frame.h"

namespace goim::websocket {

struct Message {
  enum Kind : uint8_t {
    kNeedMore,  // no whole message or control frame is buffered yet
    kData,      // a whole text or binary message
    kPing,
    kPong,
    kClose,
    kError,  // a framing violation: see error
  };
  Kind kind = kNeedMore;
  uint8_t opcode = 0;  // kData: kText or kBinary (the first fragment's opcode)
  FrameError error = FrameError::kOk;
  // Bytes of the input taken, whatever the kind (fragments of a message not yet complete are
  // taken too); the caller discards them once done with the payload.
  size_t consumed = 0;

  // The (unmasked) payload: in the caller's buffer, or in `assembled` for a fragmented message.
  std::span<const uint8_t> payload() const {
    if (!assembled.empty())
      return {reinterpret_cast<const uint8_t*>(assembled.data()), assembled.size()};
    return in_place;
  }

  std::span<const uint8_t> in_place;
  std::string assembled;
};

// Close status codes (RFC 6455 7.4.1) the server sends.
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseInvalidData = 1007;
inline constexpr uint16_t kCloseTooBig = 1009;

// The status code to answer a client's Close frame with (RFC 6455 5.5.1, 7.4): the client's own
// when its payload is well formed, 0 (a Close frame without a body) when it had none,
// kCloseProtocolError for a one-byte payload or a code an endpoint may not send, and
// kCloseInvalidData for a reason that is not UTF-8.
uint16_t CloseReplyCode(std::span<const uint8_t> payload);

// The status code that fails a connection for a framing violation: kCloseTooBig for a frame or
// message above the limit, else kCloseProtocolError.
uint16_t FailCode(FrameError e);

class MessageReader {
 public:
  // max_message: the largest frame payload and the largest assembled message.
  explicit MessageReader(uint64_t max_message) : max_(max_message) {}

  // Reads from the start of `in` until a message, a control frame or a violation is found, or
  // more input is needed.
  Message Read(std::span<uint8_t> in);

  // Whether a fragmented message is being assembled.
  bool in_message() const { return in_message_; }

 private:
  uint64_t max_;
  bool in_message_ = false;
  uint8_t opcode_ = 0;
  std::string fragments_;
};

}  // namespace goim::websocket
