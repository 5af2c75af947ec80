// permessage-deflate in pkg/websocket: the negotiation of RFC 7692 7.1 (what is accepted, what is
// declined and why) and RSV1 in the frame and message readers (RFC 7692 6).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/websocket/deflate.h"
#include "pkg/websocket/frame.h"
#include "pkg/websocket/message.h"

namespace goim::websocket {
namespace {

constexpr const char* kBoth =
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

TEST(WebsocketDeflate, BrowsersOffersAreAcceptedWithoutContextTakeover) {
  DeflateAgreement a;
  std::string why;
  // Chromium's and Firefox's offer.
  ASSERT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits", &a, &why),
            Negotiation::kAccepted);
  EXPECT_EQ(a.response, kBoth);
  EXPECT_EQ(a.server_max_window_bits, 15);
  ASSERT_EQ(NegotiateDeflate("permessage-deflate", &a, &why), Negotiation::kAccepted);
  EXPECT_EQ(a.response, kBoth);
  // Everything a client may ask, in any case, a quoted value.
  ASSERT_EQ(NegotiateDeflate("Permessage-Deflate; SERVER_NO_CONTEXT_TAKEOVER; client_no_context_"
                             "takeover; client_max_window_bits=\"10\"; server_max_window_bits=9",
                             &a, &why),
            Negotiation::kAccepted);
  EXPECT_EQ(a.server_max_window_bits, 9);
  EXPECT_EQ(a.response, std::string(kBoth) + "; server_max_window_bits=9");
}

TEST(WebsocketDeflate, OtherExtensionsAreNoOffer) {
  DeflateAgreement a;
  std::string why;
  EXPECT_EQ(NegotiateDeflate("", &a, &why), Negotiation::kNone);
  EXPECT_EQ(NegotiateDeflate("x-webkit-deflate-frame, foo; bar=1", &a, &why), Negotiation::kNone);
  // Another extension first, then a valid offer.
  ASSERT_EQ(NegotiateDeflate("foo, permessage-deflate; server_max_window_bits=15", &a, &why),
            Negotiation::kAccepted);
  EXPECT_EQ(a.server_max_window_bits, 15);
}

// RFC 7692 7.1: an offer with an unknown or repeated parameter or a bad value is declined; the
// next offer may still be taken.
TEST(WebsocketDeflate, InvalidOffersAreDeclinedWithTheReason) {
  struct Case {
    const char* header;
    const char* why;
  } cases[] = {
      {"permessage-deflate; server_max_window_bits=7", "server_max_window_bits=7 is not in 8..15"},
      {"permessage-deflate; server_max_window_bits=16",
       "server_max_window_bits=16 is not in 8..15"},
      {"permessage-deflate; server_max_window_bits=010",
       "server_max_window_bits=010 is not in 8..15"},
      {"permessage-deflate; server_max_window_bits=abc",
       "server_max_window_bits=abc is not in 8..15"},
      {"permessage-deflate; server_max_window_bits", "server_max_window_bits needs a value"},
      {"permessage-deflate; client_max_window_bits=99999999999999999999",
       "client_max_window_bits=99999999999999999999 is not in 8..15"},
      {"permessage-deflate; client_max_window_bits=8; client_max_window_bits=9",
       "client_max_window_bits given twice"},
      {"permessage-deflate; server_no_context_takeover=1",
       "server_no_context_takeover takes no value"},
      {"permessage-deflate; mystery", "unknown parameter 'mystery'"},
      {"permessage-deflate; ;", "unknown parameter ''"},
  };
  for (const auto& c : cases) {
    DeflateAgreement a;
    std::string why;
    EXPECT_EQ(NegotiateDeflate(c.header, &a, &why), Negotiation::kDeclined) << c.header;
    EXPECT_EQ(why, c.why) << c.header;
  }
  // A declined offer followed by a valid one: the valid one is taken.
  DeflateAgreement a;
  std::string why;
  ASSERT_EQ(NegotiateDeflate("permessage-deflate; server_max_window_bits=20, permessage-deflate; "
                             "server_max_window_bits=12",
                             &a, &why),
            Negotiation::kAccepted);
  EXPECT_EQ(a.server_max_window_bits, 12);
}

std::string ClientFrame(const std::string& payload, uint8_t opcode, bool fin, bool rsv1) {
  const uint8_t mask[4] = {9, 8, 7, 6};
  uint8_t head[kMaxHeaderSize];
  size_t hl = EncodeHeader(head, opcode, payload.size(), mask, rsv1);
  if (!fin) head[0] &= 0x7F;
  std::string f(reinterpret_cast<char*>(head), hl);
  std::string p = payload;
  Unmask(reinterpret_cast<uint8_t*>(p.data()), p.size(), mask);
  return f + p;
}

Message ReadOne(MessageReader& r, std::string& buf) {
  return r.Read({reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
}

TEST(WebsocketDeflate, Rsv1MarksACompressedMessageOnlyWhenNegotiated) {
  // Without the extension RSV1 is a framing violation (RFC 6455 5.2).
  MessageReader plain(4112);
  std::string f = ClientFrame("abc", kBinary, true, true);
  EXPECT_EQ(ReadOne(plain, f).error, FrameError::kReservedBits);

  MessageReader r(4112);
  r.set_deflate(true);
  f = ClientFrame("abc", kBinary, true, true);
  Message m = ReadOne(r, f);
  ASSERT_EQ(m.kind, Message::kData);
  EXPECT_TRUE(m.compressed);
  f = ClientFrame("abc", kBinary, true, false);
  m = ReadOne(r, f);
  ASSERT_EQ(m.kind, Message::kData);
  EXPECT_FALSE(m.compressed);
  // Fragmented: RSV1 on the first frame marks the whole message.
  f = ClientFrame("ab", kBinary, false, true) + ClientFrame("c", kContinuation, true, false);
  m = ReadOne(r, f);
  ASSERT_EQ(m.kind, Message::kData);
  EXPECT_TRUE(m.compressed);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.payload().data()), m.payload().size()),
            "abc");
}

// RFC 7692 6.1: never on a control frame or a continuation.
TEST(WebsocketDeflate, Rsv1OnControlFramesAndContinuationsFails) {
  MessageReader r(4112);
  r.set_deflate(true);
  std::string ping = ClientFrame("", kPing, true, true);
  EXPECT_EQ(ReadOne(r, ping).error, FrameError::kReservedBits);
  MessageReader r2(4112);
  r2.set_deflate(true);
  std::string cont =
      ClientFrame("ab", kBinary, false, true) + ClientFrame("c", kContinuation, true, true);
  EXPECT_EQ(ReadOne(r2, cont).error, FrameError::kReservedBits);
  // RSV2 and RSV3 stay reserved.
  MessageReader r3(4112);
  r3.set_deflate(true);
  std::string rsv2 = ClientFrame("abc", kBinary, true, false);
  rsv2[0] = static_cast<char>(rsv2[0] | 0x20);
  EXPECT_EQ(ReadOne(r3, rsv2).error, FrameError::kReservedBits);
}

}  // namespace
}  // namespace goim::websocket
