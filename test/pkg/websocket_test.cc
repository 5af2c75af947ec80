#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/websocket/frame.h"
#include "pkg/websocket/origin.h"

namespace goim::websocket {
namespace {

std::span<const uint8_t> S(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

TEST(WebsocketFrame, AcceptKeyMatchesRfc6455Example) {
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebsocketFrame, ClientMaskedFrameRoundTrip) {
  const uint8_t mask[4] = {1, 2, 3, 4};
  for (uint64_t len : {uint64_t(5), uint64_t(125), uint64_t(126), uint64_t(300), uint64_t(70000)}) {
    std::vector<uint8_t> buf(kMaxHeaderSize);
    size_t hl = EncodeHeader(buf.data(), kBinary, len, mask);
    buf.resize(hl);
    FrameHeader h;
    ASSERT_EQ(ParseHeader(S(buf), true, 1 << 20, &h), FrameError::kOk) << len;
    EXPECT_TRUE(h.fin);
    EXPECT_EQ(h.opcode, kBinary);
    EXPECT_EQ(h.payload_len, len);
    EXPECT_EQ(h.header_len, hl);
    EXPECT_EQ(h.mask[3], 4);
    // One byte short of a whole header: need more.
    FrameHeader h2;
    EXPECT_EQ(ParseHeader({buf.data(), hl - 1}, true, 1 << 20, &h2), FrameError::kNeedMore);
  }
}

TEST(WebsocketFrame, UnmaskIsItsOwnInverseAtAnyOffset) {
  const uint8_t mask[4] = {0xAA, 0x55, 0x0F, 0xF0};
  std::string s = "hello websocket";
  std::string orig = s;
  auto* p = reinterpret_cast<uint8_t*>(s.data());
  Unmask(p, 3, mask, 0);
  Unmask(p + 3, s.size() - 3, mask, 3);
  EXPECT_NE(s, orig);
  Unmask(p, s.size(), mask, 0);
  EXPECT_EQ(s, orig);
}

TEST(WebsocketFrame, ViolationsAreDistinctErrors) {
  FrameHeader h;
  EXPECT_EQ(ParseHeader(S({0x82 | 0x40, 0x80, 0, 0, 0, 0}), true, 100, &h),
            FrameError::kReservedBits);
  EXPECT_EQ(ParseHeader(S({0x83, 0x80, 0, 0, 0, 0}), true, 100, &h), FrameError::kReservedOpcode);
  EXPECT_EQ(ParseHeader(S({0x82, 0x05}), true, 100, &h), FrameError::kNotMasked);
  EXPECT_EQ(ParseHeader(S({0x82, 0x85, 0, 0, 0, 0}), false, 100, &h), FrameError::kMasked);
  EXPECT_EQ(ParseHeader(S({0x89, 0xFE, 0, 200, 0, 0, 0, 0}), true, 1000, &h),
            FrameError::kControlTooLong);
  EXPECT_EQ(ParseHeader(S({0x09, 0x80, 0, 0, 0, 0}), true, 100, &h),
            FrameError::kControlFragmented);
  EXPECT_EQ(ParseHeader(S({0x82, 0xFE, 0x01, 0x00, 0, 0, 0, 0}), true, 255, &h),
            FrameError::kTooLarge);
  EXPECT_EQ(ParseHeader(S({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), true, 1 << 20, &h),
            FrameError::kTooLarge);
}

TEST(WebsocketFrame, ServerHeaderIsUnmasked) {
  uint8_t buf[kMaxHeaderSize];
  size_t hl = EncodeHeader(buf, kBinary, 20);
  EXPECT_EQ(hl, 2u);
  EXPECT_EQ(buf[0], 0x82);
  EXPECT_EQ(buf[1], 20);
  FrameHeader h;
  ASSERT_EQ(ParseHeader({buf, hl}, false, 100, &h), FrameError::kOk);
  EXPECT_FALSE(h.masked);
}

TEST(WebsocketOrigin, ExactAndSubdomainEntries) {
  std::vector<std::string> allowed{"https://live.example.com", "https://*.cdn.example.com",
                                   "http://127.0.0.1:3111"};
  EXPECT_TRUE(OriginAllowed("https://live.example.com", allowed));
  EXPECT_TRUE(
      OriginAllowed("HTTPS://Live.Example.COM", allowed));  // scheme and host are case-insensitive
  EXPECT_TRUE(OriginAllowed("https://a.cdn.example.com", allowed));
  EXPECT_TRUE(OriginAllowed("https://a.b.cdn.example.com", allowed));
  EXPECT_TRUE(OriginAllowed("http://127.0.0.1:3111", allowed));
  EXPECT_FALSE(OriginAllowed("https://cdn.example.com", allowed));        // "*." needs a label
  EXPECT_FALSE(OriginAllowed("http://live.example.com", allowed));        // other scheme
  EXPECT_FALSE(OriginAllowed("https://live.example.com:8443", allowed));  // other port
  EXPECT_FALSE(OriginAllowed("https://evil-live.example.com", allowed));
  EXPECT_FALSE(OriginAllowed("https://live.example.com.evil.net", allowed));
  EXPECT_FALSE(OriginAllowed("https://evil.net/a.cdn.example.com", allowed));
  EXPECT_FALSE(OriginAllowed("https://evil.net:1.cdn.example.com", allowed));
  EXPECT_FALSE(OriginAllowed("http://127.0.0.1:31110", allowed));
  EXPECT_FALSE(OriginAllowed("null", allowed));
  EXPECT_TRUE(OriginAllowed("https://anything", {}));  // no list: any origin, as goim
  EXPECT_TRUE(OriginAllowed("https://anything", {"*"}));
}

TEST(WebsocketOrigin, BadEntriesSayWhy) {
  EXPECT_EQ(CheckOriginPattern("https://example.com"), "");
  EXPECT_EQ(CheckOriginPattern("https://*.example.com:8443"), "");
  EXPECT_EQ(CheckOriginPattern("*"), "");
  EXPECT_EQ(CheckOriginPattern("example.com"), "'example.com' is not scheme://host[:port]");
  EXPECT_EQ(CheckOriginPattern("ftp://example.com"),
            "'ftp://example.com': scheme must be http or https");
  EXPECT_NE(CheckOriginPattern("https://example.com/app"), "");
  EXPECT_NE(CheckOriginPattern("https://a.*.example.com"), "");
  EXPECT_NE(CheckOriginPattern("https://"), "");
}

}  // namespace
}  // namespace goim::websocket
