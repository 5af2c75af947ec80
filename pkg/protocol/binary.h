// Big-endian integer load/store (goim's pkg/encoding/binary).
#pragma once

#include <cstdint>

namespace goim::protocol {

inline int32_t LoadI32(const uint8_t* p) {
  return static_cast<int32_t>(uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
                              uint32_t(p[3]));
}
inline int16_t LoadI16(const uint8_t* p) {
  return static_cast<int16_t>(uint16_t(p[0]) << 8 | uint16_t(p[1]));
}
inline void StoreI32(uint8_t* p, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  p[0] = uint8_t(u >> 24);
  p[1] = uint8_t(u >> 16);
  p[2] = uint8_t(u >> 8);
  p[3] = uint8_t(u);
}
inline void StoreI16(uint8_t* p, int16_t v) {
  uint16_t u = static_cast<uint16_t>(v);
  p[0] = uint8_t(u >> 8);
  p[1] = uint8_t(u);
}

}  // namespace goim::protocol
