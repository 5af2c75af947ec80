#include "pkg/log/log.h"

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

}  // namespace goim::log
