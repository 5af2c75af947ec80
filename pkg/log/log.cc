#include "pkg/log/log.h"

#include <algorithm>
#include <atomic>

#include <glog/logging.h>

namespace goim::log {

void Init(const char* argv0, int verbosity) {
  static std::atomic<bool> done{false};
  if (!done.exchange(true)) {
    FLAGS_logtostderr = true;
    FLAGS_minloglevel = 0;
    google::InitGoogleLogging(argv0 ? argv0 : "goim");
    google::InstallFailureSignalHandler();
  }
  SetVerbosity(verbosity);
}

void SetVerbosity(int v) { FLAGS_v = v; }

std::string Printable(std::string_view s, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(s.size(), max) + 8);
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace goim::log
