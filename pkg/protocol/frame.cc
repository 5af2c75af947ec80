#include "pkg/protocol/frame.h"

#include <cstring>

#include "pkg/protocol/binary.h"

namespace goim::protocol {

const char* ErrorName(Error e) {
  switch (e) {
    case Error::kOk:
      return "ok";
    case Error::kNeedMore:
      return "need more";
    case Error::kHeaderLen:
      return "bad header length";
    case Error::kPackLenTooLarge:
      return "pack length too large";
    case Error::kPackLenTooSmall:
      return "pack length too small";
    case Error::kTruncatedHeader:
      return "truncated header";
    case Error::kTruncatedBody:
      return "truncated body";
    case Error::kWsShort:
      return "websocket message shorter than a header";
    case Error::kWsPackLen:
      return "websocket message shorter than its pack length";
    case Error::kOverBuffer:
      return "frame larger than the read buffer";
  }
  return "unknown";
}

Header DecodeHeader(const uint8_t* p) {
  Header h;
  h.pack_len = LoadI32(p + kPackOffset);
  h.header_len = LoadI16(p + kHeaderOffset);
  h.ver = LoadI16(p + kVerOffset);
  h.op = LoadI32(p + kOpOffset);
  h.seq = LoadI32(p + kSeqOffset);
  return h;
}

void EncodeHeader(uint8_t* p, int32_t pack_len, int32_t ver, int32_t op, int32_t seq) {
  StoreI32(p + kPackOffset, pack_len);
  StoreI16(p + kHeaderOffset, static_cast<int16_t>(kRawHeaderSize));
  StoreI16(p + kVerOffset, static_cast<int16_t>(ver));
  StoreI32(p + kOpOffset, op);
  StoreI32(p + kSeqOffset, seq);
}

Error CheckHeader(const Header& h, int32_t max_pack) {
  if (h.header_len != kRawHeaderSize) return Error::kHeaderLen;
  if (h.pack_len > max_pack) return Error::kPackLenTooLarge;
  if (h.pack_len < kRawHeaderSize) return Error::kPackLenTooSmall;
  return Error::kOk;
}

namespace {

void Fill(Frame* p, const Header& h, const uint8_t* body, size_t body_len) {
  p->ver = h.ver;
  p->op = h.op;
  p->seq = h.seq;
  p->body.assign(reinterpret_cast<const char*>(body), body_len);
}

Error FromStatus(bufio::Status s) {
  return s == bufio::Status::kNeedMore ? Error::kNeedMore : Error::kOverBuffer;
}

}  // namespace

Error ReadTcp(bufio::Reader& r, Frame* p, int32_t max_pack) {
  const uint8_t* head;
  bufio::Status s = r.Peek(kRawHeaderSize, &head);
  if (s != bufio::Status::kOk) return FromStatus(s);
  Header h = DecodeHeader(head);
  if (Error e = CheckHeader(h, max_pack); e != Error::kOk) return e;
  const uint8_t* frame;
  s = r.Peek(static_cast<size_t>(h.pack_len), &frame);
  if (s != bufio::Status::kOk) return FromStatus(s);
  Fill(p, h, frame + kRawHeaderSize, static_cast<size_t>(h.pack_len - kRawHeaderSize));
  r.Discard(static_cast<size_t>(h.pack_len));
  return Error::kOk;
}

Error DecodeFrame(std::span<const uint8_t> in, Frame* p, size_t* used, int32_t max_pack) {
  if (in.size() < static_cast<size_t>(kRawHeaderSize)) return Error::kTruncatedHeader;
  Header h = DecodeHeader(in.data());
  if (Error e = CheckHeader(h, max_pack); e != Error::kOk) return e;
  if (in.size() < static_cast<size_t>(h.pack_len)) return Error::kTruncatedBody;
  Fill(p, h, in.data() + kRawHeaderSize, static_cast<size_t>(h.pack_len - kRawHeaderSize));
  *used = static_cast<size_t>(h.pack_len);
  return Error::kOk;
}

Error ReadWebsocket(std::span<const uint8_t> msg, Frame* p, int32_t max_pack) {
  if (msg.size() < static_cast<size_t>(kRawHeaderSize)) return Error::kWsShort;
  Header h = DecodeHeader(msg.data());
  if (Error e = CheckHeader(h, max_pack); e != Error::kOk) return e;
  // goim slices buf[16:packLen] without checking it against the message length.
  if (static_cast<size_t>(h.pack_len) > msg.size()) return Error::kWsPackLen;
  Fill(p, h, msg.data() + kRawHeaderSize, static_cast<size_t>(h.pack_len - kRawHeaderSize));
  return Error::kOk;
}

void AppendFrame(std::string* out, int32_t ver, int32_t op, int32_t seq, std::string_view body) {
  size_t at = out->size();
  out->resize(at + kRawHeaderSize);
  EncodeHeader(reinterpret_cast<uint8_t*>(out->data() + at),
               kRawHeaderSize + static_cast<int32_t>(body.size()), ver, op, seq);
  out->append(body);
}

}  // namespace goim::protocol
