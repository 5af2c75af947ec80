#include "test/e2e/push_ledger.h"

#include <poll.h>

#include "pkg/net/http_client.h"

namespace goim::e2e {

using namespace std::chrono_literals;

PushLedger::~PushLedger() {
  StopPushing();
  receiving_ = false;
  if (receiver_.joinable()) receiver_.join();
}

bool PushLedger::Connect(const std::string& comet, const std::string& addr, int n) {
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<Client>();
    c->comet = comet;
    {
      std::lock_guard<std::mutex> lock(mu_);
      c->mid = ++next_mid_;
      c->key = comet + "-key-" + std::to_string(c->mid);
    }
    std::string err;
    c->conn = testing::Client::Dial(addr, testing::Client::Transport::kTcp, &err);
    if (!c->conn || !c->conn->Auth(testing::Token(c->mid, c->key, "live://ledger", {1000}), 10s))
      return false;
    std::lock_guard<std::mutex> lock(mu_);
    clients_.push_back(std::move(c));
  }
  if (!receiving_.exchange(true)) receiver_ = std::thread([this] { ReceiveLoop(); });
  return true;
}

void PushLedger::CometKilled(const std::string& comet) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : clients_) {
    if (c->comet == comet && c->died == Clock::time_point::max()) c->died = Clock::now();
  }
}

std::vector<std::string> PushLedger::Keys(const std::string& comet, bool live_only) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (auto& c : clients_) {
    if (live_only && c->died != Clock::time_point::max()) continue;
    if (comet.empty() || c->comet == comet) out.push_back(c->key);
  }
  return out;
}

void PushLedger::StartPushing(std::vector<std::string> logics, std::chrono::milliseconds every) {
  pushing_ = true;
  pusher_ = std::thread([this, logics, every] { PushLoop(logics, every); });
}

void PushLedger::StopPushing() {
  pushing_ = false;
  if (pusher_.joinable()) pusher_.join();
}

void PushLedger::PushLoop(std::vector<std::string> logics, std::chrono::milliseconds every) {
  std::vector<std::unique_ptr<net::HttpClient>> http;
  for (const auto& l : logics) http.push_back(std::make_unique<net::HttpClient>(l, 8s));
  int64_t seq = 0;
  size_t next = 0;
  while (pushing_) {
    auto t0 = Clock::now();
    Push p;
    std::string target;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // The next client that is alive (a killed comet's clients are not pushed to any more;
      // the pushes in flight when it died are reported apart).
      for (size_t tries = 0; tries < clients_.size(); ++tries) {
        size_t i = next++ % clients_.size();
        if (clients_[i]->died == Clock::time_point::max()) {
          p.client = i;
          break;
        }
      }
      p.seq = ++seq;
      p.by_mid = seq % 2 == 0;
      const Client& c = *clients_[p.client];
      target = p.by_mid ? "/goim/push/mids?operation=1000&mids=" + std::to_string(c.mid)
                        : "/goim/push/keys?operation=1000&keys=" + c.key;
    }
    size_t li = static_cast<size_t>(seq) % http.size();
    p.logic = logics[li];
    p.sent = Clock::now();
    net::HttpResult r = http[li]->Post(target, "p" + std::to_string(p.seq));
    p.answered = Clock::now();
    p.ok = r.status == 200 && r.body == R"({"code":0,"message":""})";
    p.answer = r.status == 200 ? r.body : "HTTP " + std::to_string(r.status) + " " + r.error;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pushes_.push_back(std::move(p));
    }
    std::this_thread::sleep_until(t0 + every);
  }
}

void PushLedger::ReceiveLoop() {
  while (receiving_) {
    std::vector<pollfd> fds;
    std::vector<Client*> owners;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : clients_) {
        if (c->conn && !c->conn->closed()) {
          fds.push_back({c->conn->fd(), POLLIN, 0});
          owners.push_back(c.get());
        }
      }
    }
    if (fds.empty() || ::poll(fds.data(), fds.size(), 50) <= 0) {
      if (fds.empty()) std::this_thread::sleep_for(20ms);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      while (auto f = owners[i]->conn->Read(0ms)) {
        if (f->op != 1000 || f->body.size() < 2 || f->body[0] != 'p') continue;
        owners[i]->got.emplace(std::stoll(f->body.substr(1)), Clock::now());
      }
    }
  }
}

bool PushLedger::Delivered(const Push& p, Clock::time_point* at) {
  const Client& c = *clients_[p.client];
  auto it = c.got.find(p.seq);
  if (it == c.got.end()) return false;
  if (at) *at = it->second;
  return true;
}

bool PushLedger::WaitDelivered(std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      bool all = true;
      for (const Push& p : pushes_) {
        const Client& c = *clients_[p.client];
        if (p.ok && c.died == Clock::time_point::max() && !Delivered(p)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
}

PushLedger::Stats PushLedger::Count(Clock::time_point from, Clock::time_point to) {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  for (const Push& p : pushes_) {
    if (p.sent < from || p.sent >= to) continue;
    ++s.pushes;
    if (!p.ok) {
      ++s.failed;
      continue;
    }
    ++s.ok;
    const Client& c = *clients_[p.client];
    if (Delivered(p)) {
      ++s.delivered;
    } else if (c.died != Clock::time_point::max() && p.sent >= c.died - 2s) {
      ++s.to_dead;  // the client's comet was killed around or before the push
    } else {
      ++s.lost;
      if (s.lost_examples.size() < 8)
        s.lost_examples.push_back("p" + std::to_string(p.seq) + (p.by_mid ? " mid " : " key ") +
                                  c.key + " via " + p.logic);
    }
  }
  return s;
}

std::optional<Clock::time_point> PushLedger::FirstDelivered(
    Clock::time_point since, const std::function<bool(const std::string&)>& pred) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Clock::time_point> best;
  for (const Push& p : pushes_) {
    if (p.sent < since || !p.ok || p.by_mid || !pred(clients_[p.client]->key)) continue;
    Clock::time_point at;
    if (Delivered(p, &at) && (!best || at < *best)) best = at;
  }
  return best;
}

}  // namespace goim::e2e
