// zlib and raw deflate (permessage-deflate) on zlib. Each thread keeps one deflate and one inflate
// stream per format, reset before every call; their memory is fixed (deflate ~270 KB at level 6,
// inflate ~7 KB + a 32 KB window) whatever the input.
#include <zlib.h>

#include <cstring>

#include "pkg/compress/internal.h"

namespace goim::compress::internal {

namespace {

voidpf ZAlloc(voidpf, uInt items, uInt size) {
  return Alloc(static_cast<size_t>(items) * static_cast<size_t>(size));
}
void ZFree(voidpf, voidpf p) { Free(p); }

// The empty stored block that ends a sync flush; permessage-deflate leaves it off the wire.
constexpr uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};

struct Stream {
  z_stream s{};
  bool ready = false;
  bool deflating = false;
  ~Stream() {
    if (!ready) return;
    deflating ? deflateEnd(&s) : inflateEnd(&s);
  }
};

// windowBits: 15 with the zlib wrapper, -15 raw.
z_stream* Deflater(bool raw) {
  thread_local Stream st[2];
  Stream& d = st[raw ? 1 : 0];
  if (!d.ready) {
    d.s.zalloc = ZAlloc;
    d.s.zfree = ZFree;
    if (deflateInit2(&d.s, kZlibLevel, Z_DEFLATED, raw ? -15 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return nullptr;
    d.ready = d.deflating = true;
  } else if (deflateReset(&d.s) != Z_OK) {
    return nullptr;
  }
  return &d.s;
}

z_stream* Inflater(bool raw) {
  thread_local Stream st[2];
  Stream& i = st[raw ? 1 : 0];
  if (!i.ready) {
    i.s.zalloc = ZAlloc;
    i.s.zfree = ZFree;
    if (inflateInit2(&i.s, raw ? -15 : 15) != Z_OK) return nullptr;
    i.ready = true;
  } else if (inflateReset(&i.s) != Z_OK) {
    return nullptr;
  }
  return &i.s;
}

}  // namespace

bool ZlibCompress(bool raw, std::string_view in, std::string* out) {
  z_stream* s = Deflater(raw);
  if (!s) return false;
  out->resize(deflateBound(s, static_cast<uLong>(in.size())) + 8);
  s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s->avail_in = static_cast<uInt>(in.size());
  size_t used = 0;
  for (;;) {
    s->next_out = reinterpret_cast<Bytef*>(out->data()) + used;
    s->avail_out = static_cast<uInt>(out->size() - used);
    int r = deflate(s, raw ? Z_SYNC_FLUSH : Z_FINISH);
    used = out->size() - s->avail_out;
    if (r == Z_STREAM_END) break;
    if (r != Z_OK && r != Z_BUF_ERROR) return false;
    // A sync flush is done when it left output room unused (zlib's documented test).
    if (raw && s->avail_in == 0 && s->avail_out > 0) break;
    out->resize(out->size() * 2);
  }
  out->resize(used);
  if (raw) {
    // RFC 7692 7.2.1: the flush's empty stored block is not sent.
    if (used < 4 || std::memcmp(out->data() + used - 4, kTail, 4) != 0) return false;
    out->resize(used - 4);
  }
  return true;
}

Status ZlibDecompress(bool raw, std::span<const uint8_t> in, size_t max_out, std::string* out) {
  z_stream* s = Inflater(raw);
  if (!s) return Status::kCorrupt;
  Sink sink(out, max_out, in.size());
  s->next_in = const_cast<Bytef*>(in.data());
  s->avail_in = static_cast<uInt>(in.size());
  bool tail_fed = !raw;
  for (;;) {
    if (s->avail_in == 0 && !tail_fed) {
      s->next_in = const_cast<Bytef*>(kTail);
      s->avail_in = sizeof kTail;
      tail_fed = true;
    }
    if (!sink.Grow()) {
      sink.Finish();
      return Status::kTooLarge;
    }
    s->next_out = sink.next();
    s->avail_out = static_cast<uInt>(sink.room());
    int r = inflate(s, Z_SYNC_FLUSH);
    if (!sink.Wrote(sink.room() - s->avail_out)) {
      sink.Finish();
      return Status::kTooLarge;
    }
    if (r == Z_STREAM_END) {
      sink.Finish();
      // Only the tail this function added may follow the end of the stream.
      bool trailing = s->avail_in > 0 && !(raw && tail_fed);
      return trailing ? Status::kCorrupt : Status::kOk;
    }
    if (r != Z_OK && r != Z_BUF_ERROR) {
      sink.Finish();
      return Status::kCorrupt;
    }
    if (s->avail_out == 0) continue;  // the output is full: grow it
    if (s->avail_in > 0) {            // input and output room left, yet no progress: never spin
      sink.Finish();
      return Status::kCorrupt;
    }
    if (!tail_fed) continue;
    sink.Finish();
    // Raw: a whole message ends where the tail's stored block ends, on a block boundary
    // (data_type bit 7); anywhere else the message was cut short. zlib: the stream never ended.
    return raw && (s->data_type & 128) ? Status::kOk : Status::kTruncated;
  }
}

}  // namespace goim::compress::internal
