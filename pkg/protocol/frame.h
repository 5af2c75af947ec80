// goim's client frame (goim calls it Proto) and its codec. Layout (all big-endian, signed):
//   packLen int32 | headerLen int16 (= 16) | ver int16 | op int32 | seq int32 | body
// packLen = 16 + body length. Client frames carry at most 4096 body bytes; server frames are not
// limited (room batches grow past it). The one encoder is EncodeHeader (AppendFrame builds on
// it); the comet writes the OpRaw rules per transport itself:
//   TCP:       an OpRaw body (already a run of frames) is written raw, without an outer header;
//   WebSocket: a message carries one frame; an OpRaw keeps its outer op-9 header and the client
//              walks the inner frames.
// A heartbeat reply is a header (op 3, the request's ver and seq) and an int32 online count at
// kHeartOffset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pkg/bufio/reader.h"
#include "pkg/protocol/operation.h"

namespace goim::protocol {

inline constexpr int32_t kRawHeaderSize = 16;
inline constexpr int32_t kMaxBodySize = 1 << 12;                        // 4096, goim v2 MaxBodySize
inline constexpr int32_t kMaxPackSize = kMaxBodySize + kRawHeaderSize;  // 4112
inline constexpr int32_t kHeartSize = 4;
inline constexpr int kPackOffset = 0;
inline constexpr int kHeaderOffset = 4;
inline constexpr int kVerOffset = 6;
inline constexpr int kOpOffset = 8;
inline constexpr int kSeqOffset = 12;
inline constexpr int kHeartOffset = 16;

struct Frame {
  int32_t ver = 0;
  int32_t op = 0;
  int32_t seq = 0;
  std::string body;
};

// Why a frame was refused. Each bad input has its own value.
enum class Error : uint8_t {
  kOk = 0,
  kNeedMore,         // TCP: the frame is not fully buffered yet (not an error)
  kHeaderLen,        // headerLen != 16
  kPackLenTooLarge,  // packLen > max (4112 for client frames)
  kPackLenTooSmall,  // packLen < 16 (negative included)
  kTruncatedHeader,  // end of input inside the 16-byte header
  kTruncatedBody,    // end of input inside the body
  kWsShort,          // WebSocket message shorter than 16 bytes
  kWsPackLen,        // WebSocket message shorter than its packLen
  kOverBuffer,       // TCP: packLen larger than the read buffer (config keeps it out of reach)
};
const char* ErrorName(Error e);

struct Header {
  int32_t pack_len = 0;
  int16_t header_len = 0;
  int16_t ver = 0;
  int32_t op = 0;
  int32_t seq = 0;
};

Header DecodeHeader(const uint8_t* p);
void EncodeHeader(uint8_t* p, int32_t pack_len, int32_t ver, int32_t op, int32_t seq);
// Checks headerLen and packLen bounds.
Error CheckHeader(const Header& h, int32_t max_pack = kMaxPackSize);

// One frame from a TCP stream: kNeedMore, consuming nothing, until the whole frame is buffered.
Error ReadTcp(bufio::Reader& r, Frame* p, int32_t max_pack = kMaxPackSize);
// Decodes a frame from a contiguous buffer that holds it whole (the start of a stream buffer).
// `used` receives the frame length. kTruncated* when `in` ends inside the frame.
Error DecodeFrame(std::span<const uint8_t> in, Frame* p, size_t* used,
                  int32_t max_pack = kMaxPackSize);
// The frame in one WebSocket message payload. Bytes past packLen are ignored (as goim).
Error ReadWebsocket(std::span<const uint8_t> msg, Frame* p, int32_t max_pack = kMaxPackSize);

// Appends one complete frame (header + body) to out.
void AppendFrame(std::string* out, int32_t ver, int32_t op, int32_t seq, std::string_view body);

}  // namespace goim::protocol
