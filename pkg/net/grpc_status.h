// A gRPC status as a log line or error reads it: "<CODE>: message", e.g.
// "UNAVAILABLE: failed to connect to all addresses" ("<CODE>" alone without a message).
#pragma once

#include <string>

#include <grpcpp/support/status.h>

namespace goim::net {

inline std::string StatusText(const grpc::Status& st) {
  static const char* const kCodes[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  int code = st.error_code();
  std::string name = code >= 0 && code <= 16 ? kCodes[code] : std::to_string(code);
  return st.error_message().empty() ? name : name + ": " + st.error_message();
}

}  // namespace goim::net
