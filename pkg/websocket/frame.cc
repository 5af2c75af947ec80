#include "pkg/websocket/frame.h"

#include <string>

#include "pkg/hash/base64.h"
#include "pkg/hash/digest.h"

namespace goim::websocket {

const char* FrameErrorName(FrameError e) {
  switch (e) {
    case FrameError::kOk:
      return "ok";
    case FrameError::kNeedMore:
      return "need more";
    case FrameError::kReservedBits:
      return "reserved bits set";
    case FrameError::kReservedOpcode:
      return "reserved opcode";
    case FrameError::kControlTooLong:
      return "control frame too long";
    case FrameError::kControlFragmented:
      return "fragmented control frame";
    case FrameError::kNotMasked:
      return "client frame not masked";
    case FrameError::kMasked:
      return "server frame masked";
    case FrameError::kTooLarge:
      return "frame too large";
    case FrameError::kBadContinuation:
      return "continuation without a start";
    case FrameError::kInterleaved:
      return "new message inside a fragmented one";
    case FrameError::kMessageTooLarge:
      return "message too large";
  }
  return "unknown";
}

FrameError ParseHeader(std::span<const uint8_t> in, bool from_client, uint64_t max_payload,
                       FrameHeader* h) {
  if (in.size() < 2) return FrameError::kNeedMore;
  uint8_t b0 = in[0], b1 = in[1];
  if (b0 & 0x70) return FrameError::kReservedBits;
  h->fin = (b0 & 0x80) != 0;
  h->opcode = b0 & 0x0F;
  bool control = (h->opcode & 0x8) != 0;
  if ((h->opcode >= 3 && h->opcode <= 7) || h->opcode >= 0xB) return FrameError::kReservedOpcode;
  h->masked = (b1 & 0x80) != 0;
  if (from_client && !h->masked) return FrameError::kNotMasked;
  if (!from_client && h->masked) return FrameError::kMasked;
  uint64_t len = b1 & 0x7F;
  size_t at = 2;
  if (len == 126) {
    if (in.size() < 4) return FrameError::kNeedMore;
    len = uint64_t(in[2]) << 8 | in[3];
    at = 4;
  } else if (len == 127) {
    if (in.size() < 10) return FrameError::kNeedMore;
    len = 0;
    for (int i = 0; i < 8; ++i) len = len << 8 | in[2 + i];
    at = 10;
  }
  if (control) {
    if (len > 125) return FrameError::kControlTooLong;
    if (!h->fin) return FrameError::kControlFragmented;
  }
  if (len > max_payload) return FrameError::kTooLarge;
  if (h->masked) {
    if (in.size() < at + 4) return FrameError::kNeedMore;
    for (int i = 0; i < 4; ++i) h->mask[i] = in[at + i];
    at += 4;
  }
  h->payload_len = len;
  h->header_len = at;
  return FrameError::kOk;
}

void Unmask(uint8_t* data, size_t n, const uint8_t mask[4], size_t offset) {
  for (size_t i = 0; i < n; ++i) data[i] ^= mask[(offset + i) & 3];
}

size_t EncodeHeader(uint8_t* out, uint8_t opcode, uint64_t payload_len, const uint8_t* mask) {
  out[0] = static_cast<uint8_t>(0x80 | (opcode & 0x0F));
  uint8_t mbit = mask ? 0x80 : 0;
  size_t at;
  if (payload_len <= 125) {
    out[1] = static_cast<uint8_t>(mbit | payload_len);
    at = 2;
  } else if (payload_len < 65536) {
    out[1] = mbit | 126;
    out[2] = static_cast<uint8_t>(payload_len >> 8);
    out[3] = static_cast<uint8_t>(payload_len);
    at = 4;
  } else {
    out[1] = mbit | 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
    at = 10;
  }
  if (mask) {
    for (int i = 0; i < 4; ++i) out[at + i] = mask[i];
    at += 4;
  }
  return at;
}

std::string AcceptKey(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  hash::Sha1Digest d = hash::Sha1(s);
  return hash::Base64Encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

}  // namespace goim::websocket
