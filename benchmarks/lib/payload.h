// What goim-bench pushes and what a comet writes for it. Bodies carry the push's sequence number
// and send time (ParseStamp in benchmarks/lib/fleet.h reads them back), either as
// "<seq> <ns> xxx..." padded to the size, or as a JSON danmaku of about that size whose other
// fields vary as a live room's do (user ids and names, short comments from a common vocabulary),
// so that compression is measured on text like the real thing. WireBytes builds, for the floor
// benchmark, the exact bytes the comet writes to one connection for one push.
#pragma once

#include <cstdint>
#include <string>

namespace goim::bench {

std::string Body(int64_t seq, int64_t now_ns, int size, bool json);

// The bytes one connection is sent for a push of `frames` (count goim frames), as the comet
// writes them: TCP raw frames, or one compressed batch frame (zlib, brotli) when it is at least
// `threshold` bytes and compressing makes it smaller; WebSocket: one message, an OpRaw around the
// frames (permessage-deflate: deflated with RSV1 under the same rule), or the compressed frame.
std::string WireBytes(const std::string& frames, bool ws, const std::string& compress,
                      int threshold);

}  // namespace goim::bench
