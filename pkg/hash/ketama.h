// Ketama consistent hashing exactly as goim v1 (libs/hash/ketama): each node gets `base` points
// (255 by default) at sha1("<node>:<i>") for i = 1..base, a point's value being the digest's
// last 4 bytes big-endian; a key goes to the first point >= value(sha1(key)), wrapping to the
// first point. The same node names therefore place keys where goim v1 placed them.
// Immutable after construction. [thread-safe]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace goim::hash {

inline constexpr int kKetamaBase = 255;

class Ketama {
 public:
  explicit Ketama(const std::vector<std::string>& nodes, int base = kKetamaBase);

  bool empty() const { return points_.empty(); }
  // The node owning key; empty() must be false.
  const std::string& Get(std::string_view key) const;
  size_t point_count() const { return points_.size(); }

  // The 32-bit value ketama gives a string (last 4 bytes of its SHA-1, big-endian).
  static uint32_t Value(std::string_view s);

 private:
  struct Point {
    uint32_t value;
    uint32_t node;
  };
  std::vector<std::string> nodes_;
  std::vector<Point> points_;
};

// The bucket a key belongs to among n buckets (comet's key index). FNV-1a 32: goim uses
// CityHash32 here, an internal choice with no effect on the wire.
uint32_t BucketHash(std::string_view key);

}  // namespace goim::hash
