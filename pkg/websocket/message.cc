#include "pkg/websocket/message.h"

namespace goim::websocket {

namespace {

Message& Fail(Message& m, FrameError e) {
  m.kind = Message::kError;
  m.error = e;
  return m;
}

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool ValidUtf8(std::span<const uint8_t> s) {
  for (size_t i = 0; i < s.size();) {
    uint8_t c = s[i];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= n; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

uint16_t CloseReplyCode(std::span<const uint8_t> payload) {
  if (payload.empty()) return 0;
  if (payload.size() == 1) return kCloseProtocolError;
  uint16_t code = static_cast<uint16_t>(payload[0] << 8 | payload[1]);
  bool valid = (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) ||
               (code >= 3000 && code <= 4999);
  if (!valid) return kCloseProtocolError;
  if (!ValidUtf8(payload.subspan(2))) return kCloseInvalidData;
  return code;
}

uint16_t FailCode(FrameError e) {
  return e == FrameError::kTooLarge || e == FrameError::kMessageTooLarge ? kCloseTooBig
                                                                         : kCloseProtocolError;
}

Message MessageReader::Read(std::span<uint8_t> in) {
  Message m;
  for (;;) {
    std::span<uint8_t> rest = in.subspan(m.consumed);
    FrameHeader h;
    FrameError fe = ParseHeader(rest, true, max_, &h);
    if (fe == FrameError::kNeedMore) return m;
    if (fe != FrameError::kOk) return Fail(m, fe);
    const size_t len = static_cast<size_t>(h.payload_len);
    if (rest.size() - h.header_len < len) return m;  // the payload is not all here yet
    uint8_t* payload = rest.data() + h.header_len;
    Unmask(payload, len, h.mask);
    m.consumed += h.header_len + len;
    switch (h.opcode) {
      case kPing:
      case kPong:
      case kClose:
        m.kind = h.opcode == kPing   ? Message::kPing
                 : h.opcode == kPong ? Message::kPong
                                     : Message::kClose;
        m.in_place = {payload, len};
        return m;
      case kContinuation:
        if (!in_message_) return Fail(m, FrameError::kBadContinuation);
        if (fragments_.size() + len > max_) return Fail(m, FrameError::kMessageTooLarge);
        fragments_.append(reinterpret_cast<const char*>(payload), len);
        if (!h.fin) continue;
        in_message_ = false;
        m.kind = Message::kData;
        m.opcode = opcode_;
        m.assembled = std::move(fragments_);
        fragments_ = std::string();
        return m;
      default:  // text or binary (ParseHeader refused the reserved opcodes)
        if (in_message_) return Fail(m, FrameError::kInterleaved);
        if (!h.fin) {
          in_message_ = true;
          opcode_ = h.opcode;
          fragments_.assign(reinterpret_cast<const char*>(payload), len);
          continue;
        }
        m.kind = Message::kData;
        m.opcode = h.opcode;
        m.in_place = {payload, len};
        return m;
    }
  }
}

}  // namespace goim::websocket
