// A push and the bytes each receiver gets for it. A push is built once (PushData) and shared by
// every loop; next to its goim frames it keeps variants made for receivers that asked for them:
// a zlib or brotli batch frame (OpRaw, ver 2 or 3, whose body inflates to the frames: bilibili's
// layout), or the frames as one permessage-deflate WebSocket message. A variant is made the first
// time a receiver needs it, once per push per comet, and then shared as the frames are; a push
// that no receiver wants compressed is never compressed. LoopMsg is one loop's handle on a push
// and remembers the variants that loop resolved, so its receivers share them without a lock.
//
// BytesFor is the one answer to "which bytes does this connection get for this push": a new kind
// of variant (the room offsets of history, say) is a new Variant value and a branch there.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "comet/config.h"

namespace goim::comet {

// The bytes of one push as some receivers get them.
struct Payload {
  enum Kind : uint8_t {
    kFrames,     // goim frames back to back: raw on TCP; on WebSocket, runs of pushes share one
                 //   binary message (an OpRaw around their frames)
    kFrame,      // one whole goim frame (a compressed batch): a message of its own on WebSocket
    kWsMessage,  // the payload of one permessage-deflate message (RSV1): WebSocket only
  };
  Kind kind = kFrames;
  int32_t frame_count = 1;  // goim frames inside, compressed or not
  std::string bytes;
};

// What a receiver is sent. kFrames is goim's; the others are opt-in.
enum class Variant : uint8_t { kFrames, kZlib, kBrotli, kWsDeflate, kCount };
const char* VariantName(Variant v);

// A connection's choice, fixed once it is authenticated.
struct Encoding {
  Variant variant = Variant::kFrames;
  // permessage-deflate: the client's window (server_max_window_bits); a compressed message must
  // not be longer than it (pkg/websocket/deflate.h).
  uint8_t ws_window_bits = 15;
};

// A push as every receiver gets it: one or more complete goim frames (an OpRaw body, or one
// frame), and its variants. Built once per push, shared by all loops, never copied per receiver.
class PushData {
 public:
  PushData(std::string frames, int32_t frame_count);
  PushData(const PushData&) = delete;
  PushData& operator=(const PushData&) = delete;

  const Payload& frames() const { return frames_; }
  // The variant v of this push, made at the first call; the frames when v does not apply (the
  // push is under the threshold, or compressing did not make it smaller). [thread-safe: the
  // first caller makes it, concurrent callers wait for it]
  const Payload& Get(Variant v, const Config& cfg) const;

 private:
  // The variant, or nullptr when the frames serve.
  std::unique_ptr<Payload> Make(Variant v, const Config& cfg) const;

  Payload frames_;
  static constexpr int kVariants = static_cast<int>(Variant::kCount);
  mutable std::once_flag once_[kVariants];
  mutable std::unique_ptr<Payload> variants_[kVariants];
};

// One loop's handle on a PushData, counted without atomics by the channels that queued it, with
// the variants this loop has looked up. [loop thread only]
struct LoopMsg {
  explicit LoopMsg(std::shared_ptr<const PushData> d, uint32_t r = 1)
      : data(std::move(d)), refs(r) {}
  std::shared_ptr<const PushData> data;
  uint32_t refs = 0;
  const Payload* resolved[static_cast<int>(Variant::kCount)] = {};
};
// Drops one reference; the last one frees the handle. [loop thread only]
void UnrefMsg(LoopMsg* m);

// Which bytes a receiver with encoding e gets for the push m. [loop thread only]
const Payload& BytesForVariant(LoopMsg* m, const Encoding& e, const Config& cfg);
inline const Payload& BytesFor(LoopMsg* m, const Encoding& e, const Config& cfg) {
  if (e.variant == Variant::kFrames) return m->data->frames();  // goim's: the common case
  return BytesForVariant(m, e, cfg);
}

}  // namespace goim::comet
