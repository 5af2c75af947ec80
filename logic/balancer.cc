#include "logic/balancer.h"

#include <algorithm>
#include <cmath>

namespace goim::logic {

namespace {
constexpr int64_t kMinWeight = 1;
constexpr int64_t kMaxWeight = 1 << 20;
constexpr size_t kMaxNodes = 5;
}  // namespace

size_t Balancer::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.size();
}

void Balancer::Update(const std::vector<discovery::Instance>& comets,
                      const std::map<std::string, int64_t>& conn_counts) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Node> next;
  for (const auto& in : comets) {
    if (in.offline) continue;
    Node n;
    n.in = in;
    auto counted = conn_counts.find(in.hostname);
    int64_t reported = counted == conn_counts.end() ? 0 : counted->second;
    n.reported_conns = reported;
    n.current_conns = reported;
    for (const Node& old : nodes_) {
      // Unchanged report: keep the connections handed out since (goim keeps nodes whose
      // discovery timestamp did not move).
      if (old.in.hostname == in.hostname && old.reported_conns == reported)
        n.current_conns = old.current_conns;
    }
    next.push_back(std::move(n));
  }
  nodes_ = std::move(next);
  total_weight_ = 0;
  total_conns_ = 0;
  for (const Node& n : nodes_) {
    total_weight_ += n.in.weight;
    total_conns_ += n.current_conns;
  }
}

void Balancer::NodeAddrs(const std::string& region, const std::string& host_domain,
                         double region_weight, std::vector<std::string>* domains,
                         std::vector<std::string>* addrs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (nodes_.empty()) return;
  for (Node& n : nodes_) {
    double gain = (!region.empty() && n.in.region == region) ? region_weight : 1.0;
    double fixed = static_cast<double>(n.in.weight) * gain;
    int64_t total_weight = total_weight_ + static_cast<int64_t>(fixed) - n.in.weight;
    if (total_conns_ > 0 && total_weight > 0) {
      double weight_ratio = fixed / static_cast<double>(total_weight);
      double conn_ratio =
          static_cast<double>(n.current_conns) / static_cast<double>(total_conns_) * 0.5;
      double diff = weight_ratio - conn_ratio;
      double multiple = diff * static_cast<double>(total_conns_);
      double floor = std::floor(multiple);
      if (floor - multiple >= -0.5)
        n.current_weight = static_cast<int64_t>(fixed + floor);
      else
        n.current_weight = static_cast<int64_t>(fixed + std::ceil(multiple));
      if (diff < 0)
        n.current_weight = std::max(n.current_weight, kMinWeight);
      else
        n.current_weight = std::min(n.current_weight, kMaxWeight);
    } else {
      n.current_weight = 0;
    }
  }
  std::stable_sort(nodes_.begin(), nodes_.end(), [](const Node& a, const Node& b) {
    return a.current_weight > b.current_weight;
  });
  nodes_.front().current_conns++;
  total_conns_++;
  for (size_t i = 0; i < nodes_.size() && i < kMaxNodes; ++i) {
    domains->push_back(nodes_[i].in.hostname + host_domain);
    addrs->insert(addrs->end(), nodes_[i].in.addrs.begin(), nodes_[i].in.addrs.end());
  }
}

}  // namespace goim::logic
