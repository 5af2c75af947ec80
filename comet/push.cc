#include "comet/push.h"

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

const Payload& PushData::Get(Variant v, const Config& cfg) const {
  if (v == Variant::kFrames) return frames_;
  const int i = static_cast<int>(v);
  std::call_once(once_[i], [&] { variants_[i] = Make(v, cfg); });
  return variants_[i] ? *variants_[i] : frames_;
}

std::unique_ptr<Payload> PushData::Make(Variant v, const Config& cfg) const {
  const std::string& frames = frames_.bytes;
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
  const Payload*& p = m->resolved[static_cast<int>(e.variant)];
  if (!p) p = &d.Get(e.variant, cfg);
  // A deflated message must fit the client's window (pkg/websocket/deflate.h).
  if (p->kind == Payload::kWsMessage &&
      d.frames().bytes.size() + protocol::kRawHeaderSize > (size_t(1) << e.ws_window_bits))
    return d.frames();
  return *p;
}

}  // namespace goim::comet
