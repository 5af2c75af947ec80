// permessage-deflate (RFC 7692) negotiation, server side: which of a client's offers the comet
// accepts and what it answers. The messages themselves are compress::Codec::kDeflateRaw.
//
// The comet always answers with server_no_context_takeover (each message is compressed on its
// own, so one compression of a push serves every receiver) and client_no_context_takeover (each
// client message inflates on its own, so a connection keeps no inflate window between messages);
// RFC 7692 7.1.1 lets a server add both to any offer. A server_max_window_bits the client asks
// for is accepted and echoed: pushes are compressed with a 15-bit window, and a message no longer
// than the client's window is valid for it (no back-reference reaches further), so such a channel
// gets compressed only the messages that fit its window. client_max_window_bits needs nothing:
// the comet inflates with a 15-bit window, which reads any smaller one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace goim::websocket {

struct DeflateAgreement {
  int server_max_window_bits = 15;  // the window the client's inflater has (8..15)
  std::string response;             // the Sec-WebSocket-Extensions value of the 101
};

enum class Negotiation : uint8_t {
  kNone,      // no permessage-deflate offer
  kAccepted,  // *out holds the agreement
  kDeclined,  // offers were made, none is valid: *why says what was wrong with the first
};

// Reads a Sec-WebSocket-Extensions value (several header lines joined by ", ") and accepts the
// first valid permessage-deflate offer. An offer is declined, as RFC 7692 7.1 requires, when it has
// a parameter the RFC does not define for offers, a parameter twice, a value on a
// no_context_takeover parameter, no value on server_max_window_bits, or window bits that are not
// a plain decimal in 8..15. Parameter and extension names compare case-insensitively.
Negotiation NegotiateDeflate(std::string_view header, DeflateAgreement* out, std::string* why);

}  // namespace goim::websocket
