#include "pkg/metrics/metrics.h"

#include <cstdlib>
#include <set>
#include <sstream>

namespace goim::metrics {

int Counter::Cell() {
  static std::atomic<int> next{0};
  thread_local int cell = next.fetch_add(1, std::memory_order_relaxed) % kCells;
  return cell;
}

uint64_t Counter::Value() const {
  uint64_t sum = 0;
  for (const Slot& s : cells_) sum += s.v.load(std::memory_order_relaxed);
  return sum;
}

Registry& Registry::Default() {
  static Registry* r = new Registry();
  return *r;
}

Registry::Entry* Registry::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->name == name) return e.get();
  }
  return nullptr;
}

Counter* Registry::NewCounter(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name); e && e->c) return e->c.get();
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->counter = true;
  e->c = std::make_unique<Counter>();
  Counter* c = e->c.get();
  entries_.push_back(std::move(e));
  return c;
}

Gauge* Registry::NewGauge(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name); e && e->g) return e->g.get();
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->g = std::make_unique<Gauge>();
  Gauge* g = e->g.get();
  entries_.push_back(std::move(e));
  return g;
}

void Registry::NewCallbackGauge(const std::string& name, const std::string& help,
                                std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name)) {
    e->fn = std::move(fn);  // a restarted component replaces its callback
    return;
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->fn = std::move(fn);
  entries_.push_back(std::move(e));
}

double Registry::Entry::Value() const {
  if (c) return static_cast<double>(c->Value());
  if (g) return static_cast<double>(g->Value());
  return fn ? fn() : 0;
}

double Registry::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = Find(name);
  return e ? e->Value() : -1;
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  std::set<std::string> described;
  for (const auto& e : entries_) {
    std::string base = e->name.substr(0, e->name.find('{'));
    if (described.insert(base).second) {
      out << "# HELP " << base << " " << e->help << "\n";
      out << "# TYPE " << base << " " << (e->counter ? "counter" : "gauge") << "\n";
    }
    double v = e->Value();
    out << e->name << " ";
    if (v == static_cast<double>(static_cast<int64_t>(v)))
      out << static_cast<int64_t>(v);
    else
      out << v;
    out << "\n";
  }
  return out.str();
}

std::vector<std::pair<std::string, double>> ParseText(const std::string& text) {
  std::vector<std::pair<std::string, double>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out.emplace_back(line.substr(0, sp), std::strtod(line.c_str() + sp + 1, nullptr));
  }
  return out;
}

}  // namespace goim::metrics
