#include "pkg/history/shape.h"

#include <algorithm>
#include <random>

namespace goim::history {

Store::Query MakeQuery(bool last, int64_t after, std::string_view epoch, int64_t asked,
                       int32_t max_request) {
  Store::Query q;
  q.last = last;
  q.after = after;
  q.epoch = epoch;
  q.asked = asked;
  q.limit = std::clamp<int64_t>(asked, 0, max_request);
  return q;
}

namespace {
bool Positioned(const Store::Query& q, std::string_view epoch, int64_t newest) {
  return !q.last && q.epoch == epoch && q.after >= 0 && q.after <= newest;
}
}  // namespace

int64_t FetchFloor(const Store::Query& q, std::string_view epoch, int64_t newest) {
  return Positioned(q, epoch, newest) ? q.after : 0;
}

ReadReply Shape(const Store::Query& q, View&& v) {
  ReadReply r;
  r.epoch = std::move(v.epoch);
  r.newest = v.newest;
  r.first_retained = v.first_retained;
  const auto given = static_cast<int64_t>(v.tail.size());
  if (q.last) {
    r.recovered = given == std::min(std::max<int64_t>(q.asked, 0), v.newest);
  } else if (Positioned(q, r.epoch, v.newest)) {
    const int64_t want = v.newest - q.after;
    // The tail holds exactly after+1..newest when nothing after `after` left retention and the
    // limit let it all through.
    r.recovered =
        want == 0 || (want <= q.limit && given == want && v.tail.front().offset == q.after + 1);
  }
  r.messages = std::move(v.tail);
  return r;
}

std::string NewEpoch() {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string e(8, '0');
  for (char& c : e) c = kAlphabet[rng() % 36];
  return e;
}

}  // namespace goim::history
