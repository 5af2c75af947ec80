// SHA-1 and HMAC-SHA256 (OpenSSL) and constant-time comparison.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace goim::hash {

using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;

Sha1Digest Sha1(std::string_view data);
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
// Compares without an early exit, so timing tells nothing about where two MACs differ.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace goim::hash
