#include "comet/push.h"

#include <algorithm>

#include <glog/logging.h>

#include "comet/stats.h"
#include "pkg/compress/compress.h"
#include "pkg/protocol/binary.h"
#include "pkg/protocol/frame.h"

namespace goim::comet {

const char* VariantName(Variant v) {
  switch (v) {
    case Variant::kFrames:
      return "frames";
    case Variant::kZlib:
      return "zlib";
    case Variant::kBrotli:
      return "brotli";
    case Variant::kWsDeflate:
      return "deflate-ws";
    case Variant::kCount:
      break;
  }
  return "unknown";
}

void UnrefMsg(LoopMsg* m) {
  if (--m->refs == 0) delete m;
}

PushData::PushData(std::string frames, int32_t frame_count) {
  frames_.kind = Payload::kFrames;
  frames_.frame_count = frame_count;
  frames_.bytes = std::move(frames);
}

PushData::PushData(std::string frames, int32_t frame_count, std::vector<int64_t> offsets,
                   std::string epoch)
    : PushData(std::move(frames), frame_count) {
  offsets_ = std::move(offsets);
  epoch_ = std::move(epoch);
  for (int64_t o : offsets_) {
    if (o <= 0) continue;
    if (first_ == 0 || o < first_) first_ = o;
    last_ = std::max(last_, o);
  }
}

namespace {
// Calls fn(start, offset) for each frame of a run of frames.
template <class Fn>
void EachFrame(const std::string& frames, const std::vector<int64_t>& offsets, Fn fn) {
  size_t at = 0;
  for (size_t i = 0; at + protocol::kRawHeaderSize <= frames.size(); ++i) {
    const int32_t len = protocol::LoadI32(reinterpret_cast<const uint8_t*>(frames.data()) + at);
    if (len < protocol::kRawHeaderSize || at + static_cast<size_t>(len) > frames.size()) return;
    fn(at, static_cast<size_t>(len), i < offsets.size() ? offsets[i] : 0);
    at += static_cast<size_t>(len);
  }
}
// An offset as the int32 seq carries it (the store keeps offsets within INT32_MAX).
int32_t Seq(int64_t offset) {
  return offset > 0 && offset <= INT32_MAX ? static_cast<int32_t>(offset) : 0;
}
}  // namespace

int32_t AppendNumbered(const PushData& d, int64_t after, std::string* out) {
  int32_t n = 0;
  const std::string& frames = d.frames().bytes;
  EachFrame(frames, d.offsets(), [&](size_t at, size_t len, int64_t offset) {
    if (offset != 0 && offset <= after) return;
    const size_t start = out->size();
    out->append(frames, at, len);
    protocol::StoreI32(reinterpret_cast<uint8_t*>(out->data()) + start + protocol::kSeqOffset,
                       Seq(offset));
    ++n;
  });
  return n;
}

const Payload& PushData::Get(Variant v, bool seq, const Config& cfg) const {
  seq = seq && numbered();
  if (v == Variant::kFrames && !seq) return frames_;
  const int i = static_cast<int>(v);
  std::call_once(once_[seq][i], [&] { variants_[seq][i] = Make(v, seq, cfg); });
  if (variants_[seq][i]) return *variants_[seq][i];
  return v == Variant::kFrames ? frames_ : Get(Variant::kFrames, seq, cfg);
}

std::unique_ptr<Payload> PushData::Make(Variant v, bool seq, const Config& cfg) const {
  if (v == Variant::kFrames) {
    // The frames with their room offsets in seq, for the connections that opted in.
    auto p = std::make_unique<Payload>(frames_);
    EachFrame(frames_.bytes, offsets_, [&](size_t at, size_t, int64_t offset) {
      protocol::StoreI32(reinterpret_cast<uint8_t*>(p->bytes.data()) + at + protocol::kSeqOffset,
                         Seq(offset));
    });
    return p;
  }
  const std::string& frames = Get(Variant::kFrames, seq, cfg).bytes;
  std::string in;  // what is compressed
  compress::Codec codec;
  size_t threshold;
  if (v == Variant::kWsDeflate) {
    // The message as an uncompressed channel gets it: an OpRaw around the frames.
    in.resize(protocol::kRawHeaderSize);
    protocol::EncodeHeader(reinterpret_cast<uint8_t*>(in.data()),
                           protocol::kRawHeaderSize + static_cast<int32_t>(frames.size()), 1,
                           protocol::kOpRaw, 0);
    in += frames;
    codec = compress::Codec::kDeflateRaw;
    threshold = static_cast<size_t>(cfg.websocket.deflateThreshold);
  } else {
    codec = v == Variant::kZlib ? compress::Codec::kZlib : compress::Codec::kBrotli;
    threshold = static_cast<size_t>(cfg.protocol.compressThreshold);
  }
  const std::string& src = in.empty() ? frames : in;
  if (src.size() < threshold) return nullptr;
  Stats& st = Stats::Get();
  auto p = std::make_unique<Payload>();
  p->frame_count = frames_.frame_count;
  std::string z;
  if (!compress::Compress(codec, src, &z)) {
    LOG_EVERY_T(ERROR, 1) << "comet: compress failed encoding=" << VariantName(v)
                          << " bytes=" << src.size();
    st.push_compress_skipped[static_cast<int>(v)]->Inc();
    return nullptr;
  }
  if (v == Variant::kWsDeflate) {
    if (z.size() >= src.size()) {
      st.push_compress_skipped[static_cast<int>(v)]->Inc();
      return nullptr;
    }
    p->kind = Payload::kWsMessage;
    p->bytes = std::move(z);
  } else {
    if (z.size() + protocol::kRawHeaderSize >= src.size()) {
      st.push_compress_skipped[static_cast<int>(v)]->Inc();
      return nullptr;
    }
    // bilibili's layout: an OpRaw whose ver names the codec and whose body inflates to frames.
    p->kind = Payload::kFrame;
    p->bytes.resize(protocol::kRawHeaderSize);
    protocol::EncodeHeader(reinterpret_cast<uint8_t*>(p->bytes.data()),
                           protocol::kRawHeaderSize + static_cast<int32_t>(z.size()),
                           v == Variant::kZlib ? protocol::kVerZlib : protocol::kVerBrotli,
                           protocol::kOpRaw, 0);
    p->bytes += z;
  }
  st.push_compressed[static_cast<int>(v)]->Inc();
  return p;
}

const Payload& BytesForVariant(LoopMsg* m, const Encoding& e, const Config& cfg) {
  const PushData& d = *m->data;
  const bool seq = e.seq && d.numbered();
  const Payload*& p = m->resolved[seq][static_cast<int>(e.variant)];
  if (!p) p = &d.Get(e.variant, seq, cfg);
  // A deflated message must fit the client's window (pkg/websocket/deflate.h).
  if (p->kind == Payload::kWsMessage &&
      d.frames().bytes.size() + protocol::kRawHeaderSize > (size_t(1) << e.ws_window_bits))
    return d.Get(Variant::kFrames, seq, cfg);
  return *p;
}

}  // namespace goim::comet
