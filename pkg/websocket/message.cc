#include "pkg/websocket/message.h"

namespace goim::websocket {

namespace {
Message& Fail(Message& m, FrameError e) {
  m.kind = Message::kError;
  m.error = e;
  return m;
}
}  // namespace

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
