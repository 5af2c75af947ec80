// logic::Result: how a logic operation ended, with goim's result codes.
#pragma once

#include <functional>
#include <string>

namespace goim::logic {

// goim's result codes.
inline constexpr int kOk = 0;
inline constexpr int kRequestErr = -400;
inline constexpr int kServerErr = -500;

struct Result {
  int code = kOk;
  std::string message;
  bool ok() const { return code == kOk; }
};
using ResultFn = std::function<void(Result)>;

}  // namespace goim::logic
