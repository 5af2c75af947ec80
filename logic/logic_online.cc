// LogicCore's online queries for the HTTP API (goim's /goim/online/top, room, total), answered
// from the counts the comets report (RenewOnline, logic/logic.cc); the total is in
// logic/comets.cc, beside the goim comets counted by their discovery metadata.
#include <algorithm>

#include "logic/logic.h"

namespace goim::logic {

std::vector<RoomCount> LogicCore::OnlineTop(const std::string& type, int limit) const {
  std::vector<RoomCount> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : rooms_) {
      if (key.compare(0, type.size(), type) != 0) continue;
      size_t sep = key.find("://");
      if (sep == std::string::npos) continue;
      out.push_back({key.substr(sep + 3), n});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const RoomCount& a, const RoomCount& b) { return a.count > b.count; });
  if (limit >= 0 && out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

std::map<std::string, int32_t> LogicCore::OnlineRoom(const std::string& type,
                                                     const std::vector<std::string>& rooms) const {
  std::map<std::string, int32_t> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& r : rooms) {
    auto it = rooms_.find(type + "://" + r);
    out[r] = it == rooms_.end() ? 0 : it->second;
  }
  return out;
}

}  // namespace goim::logic
