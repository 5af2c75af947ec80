#include "pkg/discovery/discovery.h"

#include <set>

namespace goim::discovery {

std::vector<Instance> InZone(const std::vector<Instance>& all, const std::string& zone) {
  std::vector<Instance> out;
  for (const auto& in : all) {
    if (zone.empty() || in.zone.empty() || in.zone == zone) out.push_back(in);
  }
  return out;
}

std::string Validate(const std::vector<Instance>& all, const std::string& key) {
  std::set<std::string> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    std::string at = key + "[" + std::to_string(i) + "]";
    if (all[i].hostname.empty()) return at + ".hostname: must be set";
    if (!seen.insert(all[i].hostname).second)
      return at + ".hostname: '" + all[i].hostname + "' is listed twice";
    if (all[i].weight <= 0) return at + ".weight: must be > 0";
  }
  return "";
}

}  // namespace goim::discovery
