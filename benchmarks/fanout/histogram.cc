#include "benchmarks/fanout/histogram.h"

#include <sstream>

namespace goim::bench {

std::string Histogram::Serialize() const {
  std::ostringstream out;
  out << n_ << ' ' << max_;
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i]) out << ' ' << i << ':' << counts_[i];
  }
  return out.str();
}

bool Histogram::Deserialize(const std::string& s) {
  std::istringstream in(s);
  if (!(in >> n_ >> max_)) return false;
  std::string item;
  while (in >> item) {
    size_t c = item.find(':');
    if (c == std::string::npos) return false;
    int i = std::stoi(item.substr(0, c));
    if (i < 0 || i >= kBuckets) return false;
    counts_[i] = std::stoll(item.substr(c + 1));
  }
  return true;
}

}  // namespace goim::bench
