#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/websocket/frame.h"
#include "pkg/websocket/message.h"
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

// A frame as a client sends it: masked.
std::string ClientFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  uint8_t head[kMaxHeaderSize];
  size_t hl = EncodeHeader(head, opcode, payload.size(), mask);
  if (!fin) head[0] &= 0x7F;
  std::string out(reinterpret_cast<const char*>(head), hl);
  std::string body(payload);
  Unmask(reinterpret_cast<uint8_t*>(body.data()), body.size(), mask);
  return out + body;
}

// What a Read gave, its payload copied before the bytes are discarded.
struct Got {
  Message::Kind kind;
  uint8_t opcode;
  FrameError error;
  std::string text;
};

// Reads the buffered bytes as a server does: the consumed bytes go after each message.
std::vector<Got> ReadAll(MessageReader& r, std::string& buf) {
  std::vector<Got> out;
  for (;;) {
    Message m = r.Read({reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
    auto p = m.payload();
    Got g{m.kind, m.opcode, m.error,
          std::string(reinterpret_cast<const char*>(p.data()), p.size())};
    buf.erase(0, m.consumed);
    if (m.kind == Message::kNeedMore) return out;
    out.push_back(g);
    if (m.kind == Message::kError) return out;
  }
}

TEST(WebsocketMessage, OneFrameMessageAndControlFrames) {
  MessageReader r(100);
  std::string buf = ClientFrame(kBinary, "goim frame") + ClientFrame(kPing, "hi") +
                    ClientFrame(kText, "as text") + ClientFrame(kPong, "") +
                    ClientFrame(kClose, std::string("\x03\xE8", 2));
  auto got = ReadAll(r, buf);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].kind, Message::kData);
  EXPECT_EQ(got[0].opcode, kBinary);
  EXPECT_EQ(got[0].text, "goim frame");
  EXPECT_EQ(got[1].kind, Message::kPing);
  EXPECT_EQ(got[1].text, "hi");
  EXPECT_EQ(got[2].kind, Message::kData);  // text comes out as binary does
  EXPECT_EQ(got[2].opcode, kText);
  EXPECT_EQ(got[2].text, "as text");
  EXPECT_EQ(got[3].kind, Message::kPong);
  EXPECT_EQ(got[4].kind, Message::kClose);
  EXPECT_EQ(got[4].text, std::string("\x03\xE8", 2));
  EXPECT_TRUE(buf.empty());
}

TEST(WebsocketMessage, FragmentsAreAssembledAroundControlFramesWhateverTheSplit) {
  const std::string stream = ClientFrame(kBinary, "frag", false) + ClientFrame(kPing, "p") +
                             ClientFrame(kContinuation, "men", false) +
                             ClientFrame(kContinuation, "ted", true) + ClientFrame(kBinary, "next");
  // Fed in pieces of every size: the same messages come out.
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    MessageReader r(100);
    std::string buf;
    std::vector<Got> got;
    for (size_t off = 0; off < stream.size(); off += piece) {
      buf += stream.substr(off, piece);
      for (auto& g : ReadAll(r, buf)) got.push_back(g);
    }
    ASSERT_EQ(got.size(), 3u) << "piece " << piece;
    EXPECT_EQ(got[0].kind, Message::kPing);
    EXPECT_EQ(got[1].kind, Message::kData);
    EXPECT_EQ(got[1].opcode, kBinary);
    EXPECT_EQ(got[1].text, "fragmented");
    EXPECT_EQ(got[2].text, "next");
    EXPECT_FALSE(r.in_message());
  }
}

TEST(WebsocketMessage, ViolationsAreOneErrorEach) {
  struct Case {
    const char* what;
    std::string bytes;
    FrameError want;
  } cases[] = {
      {"continuation first", ClientFrame(kContinuation, "x"), FrameError::kBadContinuation},
      {"new message inside", ClientFrame(kBinary, "a", false) + ClientFrame(kText, "b"),
       FrameError::kInterleaved},
      {"fragments over the limit",
       ClientFrame(kBinary, std::string(60, 'a'), false) +
           ClientFrame(kContinuation, std::string(41, 'b')),
       FrameError::kMessageTooLarge},
      {"frame over the limit", ClientFrame(kBinary, std::string(101, 'a')), FrameError::kTooLarge},
      {"reserved opcode", ClientFrame(3, "x"), FrameError::kReservedOpcode},
      {"unmasked", std::string("\x82\x01x", 3), FrameError::kNotMasked},
  };
  for (auto& c : cases) {
    MessageReader r(100);
    auto got = ReadAll(r, c.bytes);
    ASSERT_FALSE(got.empty()) << c.what;
    EXPECT_EQ(got.back().kind, Message::kError) << c.what;
    EXPECT_EQ(got.back().error, c.want) << c.what << ": " << FrameErrorName(got.back().error);
  }
}

std::span<const uint8_t> B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(WebsocketClose, ReplyEchoesAValidCodeAndRefusesTheRest) {
  EXPECT_EQ(CloseReplyCode(B("")), 0);  // no body: none back
  EXPECT_EQ(CloseReplyCode(B("\x03\xE8")), 1000);
  EXPECT_EQ(CloseReplyCode(B("\x03\xE9going away")), 1001);
  EXPECT_EQ(CloseReplyCode(B("\x0F\xA1")), 4001);
  EXPECT_EQ(CloseReplyCode(B("\x03\xF3")), 1011);
  EXPECT_EQ(CloseReplyCode(B("\x03\xE8\xE5\xBC\xB9\xE5\xB9\x95")), 1000);  // UTF-8 reason
  EXPECT_EQ(CloseReplyCode(B("x")), kCloseProtocolError);
  for (uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000}) {
    std::string p = {static_cast<char>(bad >> 8), static_cast<char>(bad & 0xFF)};
    EXPECT_EQ(CloseReplyCode(B(p)), kCloseProtocolError) << bad;
  }
  for (std::string_view reason :
       {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE5\xBC", "\x80", "\xFF"}) {
    std::string p = "\x03\xE8" + std::string(reason);
    EXPECT_EQ(CloseReplyCode(B(p)), kCloseInvalidData) << p.size();
  }
}

TEST(WebsocketClose, FailCodes) {
  EXPECT_EQ(FailCode(FrameError::kTooLarge), kCloseTooBig);
  EXPECT_EQ(FailCode(FrameError::kMessageTooLarge), kCloseTooBig);
  EXPECT_EQ(FailCode(FrameError::kNotMasked), kCloseProtocolError);
  EXPECT_EQ(FailCode(FrameError::kReservedBits), kCloseProtocolError);
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
