#include "pkg/conf/env.h"

#include <unistd.h>

namespace goim::conf {

void Env::Resolve() {
  if (!host.empty()) return;
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) == 0) host = name;
  if (host.empty()) host = "localhost";
}

}  // namespace goim::conf
