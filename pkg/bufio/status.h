// Status codes shared by the bufio Reader and Writer (goim's pkg/bufio errors, as values).
#pragma once

#include <cstdint>

namespace goim::bufio {

enum class Status : uint8_t {
  kOk = 0,
  kNeedMore,    // not enough bytes buffered and no source to read more from (event-loop use)
  kBufferFull,  // the request is larger than the buffer can ever hold
  kEof,         // the source reached end of stream
  kIoError,     // the source or sink failed
  kNegativeCount,
};

const char* StatusName(Status s);

}  // namespace goim::bufio
