// RFC 6455 frame codec for goim's WebSocket transport (both ends): parse a frame header from a
// buffer, unmask, and encode server (unmasked) or client (masked) headers. No extensions; goim
// negotiates none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace goim::websocket {

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

enum class FrameError : uint8_t {
  kOk = 0,
  kNeedMore,           // the header is not fully buffered yet
  kReservedBits,       // RSV1-3 set without a negotiated extension
  kReservedOpcode,     // opcodes 3-7 and 11-15
  kControlTooLong,     // control frame payload > 125
  kControlFragmented,  // control frame without FIN
  kNotMasked,          // a client frame must be masked
  kMasked,             // a server frame must not be masked
  kTooLarge,           // payload above the configured limit
  // Message level (MessageReader):
  kBadContinuation,  // a continuation frame with no message to continue
  kInterleaved,      // a new data message before the fragmented one ended
  kMessageTooLarge,  // fragments adding up to more than the limit
};
const char* FrameErrorName(FrameError e);

struct FrameHeader {
  bool fin = false;
  uint8_t opcode = 0;
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};
  uint64_t payload_len = 0;
  size_t header_len = 0;  // bytes before the payload
};

inline constexpr size_t kMaxHeaderSize = 14;

// Parses the frame header at the start of `in`. from_client: the peer is a client, so frames
// must be masked (server side); otherwise they must not be (client side).
FrameError ParseHeader(std::span<const uint8_t> in, bool from_client, uint64_t max_payload,
                       FrameHeader* h);

// XORs data with the mask, `offset` bytes into the payload.
void Unmask(uint8_t* data, size_t n, const uint8_t mask[4], size_t offset = 0);

// Writes a frame header (FIN set) into out (>= kMaxHeaderSize bytes); returns its length.
// mask == nullptr: unmasked (server); else the 4-byte key is written (client masks the payload).
size_t EncodeHeader(uint8_t* out, uint8_t opcode, uint64_t payload_len,
                    const uint8_t* mask = nullptr);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(sha1(key + RFC 6455 GUID)).
std::string AcceptKey(std::string_view key);

}  // namespace goim::websocket
