#include "pkg/hash/ketama.h"

#include <algorithm>

#include "pkg/hash/digest.h"

namespace goim::hash {

uint32_t Ketama::Value(std::string_view s) {
  Sha1Digest d = Sha1(s);
  return uint32_t(d[19]) | uint32_t(d[18]) << 8 | uint32_t(d[17]) << 16 | uint32_t(d[16]) << 24;
}

Ketama::Ketama(const std::vector<std::string>& nodes, int base) : nodes_(nodes) {
  points_.reserve(nodes.size() * static_cast<size_t>(base));
  for (uint32_t n = 0; n < nodes_.size(); ++n) {
    for (int i = 1; i <= base; ++i) {
      points_.push_back({Value(nodes_[n] + ":" + std::to_string(i)), n});
    }
  }
  // goim sorts by value only; ties (vanishingly rare) are broken by node name here so the ring
  // does not depend on the order nodes were listed in.
  std::sort(points_.begin(), points_.end(), [this](const Point& a, const Point& b) {
    if (a.value != b.value) return a.value < b.value;
    return nodes_[a.node] < nodes_[b.node];
  });
}

const std::string& Ketama::Get(std::string_view key) const {
  uint32_t v = Value(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), v,
                             [](const Point& p, uint32_t x) { return p.value < x; });
  if (it == points_.end()) it = points_.begin();
  return nodes_[it->node];
}

uint32_t BucketHash(std::string_view key) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace goim::hash
