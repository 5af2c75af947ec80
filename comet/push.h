// A push and the bytes each receiver gets for it. A push is built once (PushData) and shared by
// every loop; next to its goim frames it keeps variants made for receivers that asked for them:
// a zlib or brotli batch frame (OpRaw, ver 2 or 3, whose body inflates to the frames: bilibili's
// layout), or the frames as one permessage-deflate WebSocket message. A variant is made the first
// time a receiver needs it, once per push per comet, and then shared as the frames are; a push
// that no receiver wants compressed is never compressed. LoopMsg is one loop's handle on a push
// and remembers the variants that loop resolved, so its receivers share them without a lock.
//
// Room pushes may carry their frames' room offsets (history, issue 14): connections that opted in
// get the frames with each offset in the header's seq, made once per push per comet as the other
// variants are, and combined with them (a zlib client that opted in gets the compressed batch of
// the seq-patched frames); everyone else gets the frames as job sent them (seq 0).
//
// BytesFor is the one answer to "which bytes does this connection get for this push".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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
  // Room history: the room offsets in each frame's seq.
  bool seq = false;
};

// A push as every receiver gets it: one or more complete goim frames (an OpRaw body, or one
// frame), and its variants. Built once per push, shared by all loops, never copied per receiver.
class PushData {
 public:
  PushData(std::string frames, int32_t frame_count);
  // A room push whose frames have these room offsets (one per frame, 0: none) in epoch.
  PushData(std::string frames, int32_t frame_count, std::vector<int64_t> offsets,
           std::string epoch);
  PushData(const PushData&) = delete;
  PushData& operator=(const PushData&) = delete;

  const Payload& frames() const { return frames_; }
  // The variant v of this push (seq: of its frames with their room offsets in seq), made at the
  // first call; the plain variant when v does not apply (the push is under the threshold, or
  // compressing did not make it smaller). [thread-safe: the first caller makes it, concurrent
  // callers wait for it]
  const Payload& Get(Variant v, bool seq, const Config& cfg) const;

  // Room history: whether any frame has an offset, the epoch, the offsets, and the smallest and
  // largest non-zero one.
  bool numbered() const { return last_ > 0; }
  const std::string& epoch() const { return epoch_; }
  const std::vector<int64_t>& offsets() const { return offsets_; }
  int64_t first_offset() const { return first_; }
  int64_t last_offset() const { return last_; }

 private:
  // The variant, or nullptr when the plain one serves.
  std::unique_ptr<Payload> Make(Variant v, bool seq, const Config& cfg) const;

  Payload frames_;
  std::vector<int64_t> offsets_;
  std::string epoch_;
  int64_t first_ = 0;
  int64_t last_ = 0;
  static constexpr int kVariants = static_cast<int>(Variant::kCount);
  mutable std::once_flag once_[2][kVariants];
  mutable std::unique_ptr<Payload> variants_[2][kVariants];
};

// Appends d's frames whose offset is 0 or above `after` to *out, each offset in its seq; returns
// how many. For the per-connection bytes of history's seam (comet/channel_history.cc).
int32_t AppendNumbered(const PushData& d, int64_t after, std::string* out);

// One loop's handle on a PushData, counted without atomics by the channels that queued it, with
// the variants this loop has looked up. [loop thread only]
struct LoopMsg {
  explicit LoopMsg(std::shared_ptr<const PushData> d, uint32_t r = 1)
      : data(std::move(d)), refs(r) {}
  std::shared_ptr<const PushData> data;
  uint32_t refs = 0;
  const Payload* resolved[2][static_cast<int>(Variant::kCount)] = {};
};
// Drops one reference; the last one frees the handle. [loop thread only]
void UnrefMsg(LoopMsg* m);

// Which bytes a receiver with encoding e gets for the push m. [loop thread only]
const Payload& BytesForVariant(LoopMsg* m, const Encoding& e, const Config& cfg);
inline const Payload& BytesFor(LoopMsg* m, const Encoding& e, const Config& cfg) {
  // goim's, the common case: plain frames, or plain frames that carry no room offset.
  if (e.variant == Variant::kFrames && !(e.seq && m->data->numbered())) return m->data->frames();
  return BytesForVariant(m, e, cfg);
}

}  // namespace goim::comet
