#include "pkg/metrics/metrics.h"

#include <cstdlib>
#include <set>
#include <sstream>

namespace goim::metrics {

namespace {

// Thread indexes: the lowest free one is taken; a thread's own is given back when it exits.
class ThreadIndexes {
 public:
  int Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return next_++;
    int i = *free_.begin();
    free_.erase(free_.begin());
    return i;
  }
  void Give(int i) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.insert(i);
  }
  static ThreadIndexes& Get() {
    static ThreadIndexes* t = new ThreadIndexes();  // outlives every thread's exit
    return *t;
  }

 private:
  std::mutex mu_;
  std::set<int> free_;
  int next_ = 0;
};

// Gives the index back at thread exit. The thread keeps using it if it counts after that (a
// later thread_local destructor): sharing a cell costs contention, never a count.
struct ThreadIndexHolder {
  ~ThreadIndexHolder() { ThreadIndexes::Get().Give(detail::thread_index); }
};

}  // namespace

int ThreadIndex() {
  int& index = detail::thread_index;
  if (index >= 0) return index;
  index = ThreadIndexes::Get().Take();
  thread_local ThreadIndexHolder holder;
  return index;
}

Counter::~Counter() {
  for (auto& p : pages_) delete p.load(std::memory_order_acquire);
}

std::atomic<uint64_t>& Counter::Cell() {
  int i = ThreadIndex();
  if (i < kPageCells) return first_[i].v;
  return Paged(i);
}

std::atomic<uint64_t>& Counter::Paged(int index) {
  index %= kPageCells * (kPages + 1);
  if (index < kPageCells) return first_[index].v;
  std::atomic<Page*>& slot = pages_[index / kPageCells - 1];
  Page* page = slot.load(std::memory_order_acquire);
  if (!page) {
    auto* fresh = new Page();
    if (slot.compare_exchange_strong(page, fresh, std::memory_order_acq_rel)) {
      page = fresh;
    } else {
      delete fresh;  // another thread of this page won; page holds its page
    }
  }
  return page->cells[index % kPageCells].v;
}

uint64_t Counter::Value() const {
  uint64_t sum = 0;
  for (const Slot& s : first_) sum += s.v.load(std::memory_order_relaxed);
  for (const auto& p : pages_) {
    if (const Page* page = p.load(std::memory_order_acquire)) {
      for (const Slot& s : page->cells) sum += s.v.load(std::memory_order_relaxed);
    }
  }
  return sum;
}

void SumGauge::Attach(const void* owner, std::function<int64_t()> value) {
  std::lock_guard<std::mutex> lock(mu_);
  sources_.emplace_back(owner, std::move(value));
}

void SumGauge::Detach(const void* owner) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(sources_, [owner](const auto& s) { return s.first == owner; });
}

int64_t SumGauge::Value() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t sum = 0;
  for (const auto& [owner, value] : sources_) sum += value();
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

SumGauge* Registry::NewSumGauge(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* e = Find(name); e && e->s) return e->s.get();
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->s = std::make_unique<SumGauge>();
  SumGauge* g = e->s.get();
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
  if (s) return static_cast<double>(s->Value());
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
