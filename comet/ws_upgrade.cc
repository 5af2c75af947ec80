// The WebSocket upgrade: the request is read into the connection's pooled read buffer like any
// other input and parsed by a Boost.Beast basic_parser that keeps only the fields goim checks, so
// an upgrade allocates nothing that outlives it (a connect storm leaves no heap holes behind).
// The checks and the 101 response are goim's (path exactly /sub, GET, Upgrade: websocket,
// Connection: upgrade, Sec-WebSocket-Version: 13, a key), plus one goim lacks: when
// websocket.allowedOrigins is set, a browser's Origin must be in it. A wrong path gets 404, a
// refused origin 403, other bad requests 400, then the connection is closed. For WSS the TLS
// handshake comes first. Bytes after the request (a client's first frames) stay in the buffer for
// the frame reader.
#include <boost/beast/http/basic_parser.hpp>
#include <cstring>

#include <glog/logging.h>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/json/json.h"
#include "pkg/log/log.h"
#include "pkg/strings/strings.h"
#include "pkg/websocket/frame.h"
#include "pkg/websocket/origin.h"

namespace goim::comet {

namespace http = boost::beast::http;

namespace {

// The request line and the fields the upgrade needs; every other field is skipped.
class UpgradeParser final : public http::basic_parser<true> {
 public:
  std::string method, target, upgrade, connection, version, key, cookie, origin;

  // goim's checks of an upgrade request to /sub: "" when it is one, else what is wrong.
  std::string Problem() const {
    if (method != "GET") return "method " + method;
    if (strings::Lower(upgrade) != "websocket") return "no Upgrade: websocket";
    if (strings::Lower(connection).find("upgrade") == std::string::npos)
      return "no Connection: upgrade";
    if (version != "13") return "Sec-WebSocket-Version '" + version + "'";
    if (key.empty()) return "no Sec-WebSocket-Key";
    return "";
  }

 private:
  void on_request_impl(http::verb, boost::beast::string_view m, boost::beast::string_view t, int,
                       boost::beast::error_code&) override {
    method.assign(m.data(), m.size());
    target.assign(t.data(), t.size());
  }
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(http::field f, boost::beast::string_view, boost::beast::string_view v,
                     boost::beast::error_code&) override {
    std::string* out = nullptr;
    switch (f) {
      case http::field::upgrade:
        out = &upgrade;
        break;
      case http::field::connection:
        out = &connection;
        break;
      case http::field::sec_websocket_version:
        out = &version;
        break;
      case http::field::sec_websocket_key:
        out = &key;
        break;
      case http::field::cookie:
        out = &cookie;
        break;
      case http::field::origin:
        out = &origin;
        break;
      default:
        return;
    }
    if (!out->empty()) out->append(", ");
    out->append(v.data(), v.size());
  }
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view b, boost::beast::error_code&) override {
    return b.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view b,
                                 boost::beast::error_code&) override {
    return b.size();
  }
  void on_finish_impl(boost::beast::error_code&) override {}
};

}  // namespace

void Channel::StartUpgrade() {
  if (!tls_) return ReadNow();
  reading_ = true;
  tls_->async_handshake(asio::ssl::stream_base::server, [this](boost::system::error_code ec) {
    reading_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) {
      LOG_EVERY_T(WARNING, 1) << "comet: tls handshake failed ip=" << ip_ << " error("
                              << ec.message() << ")";
      return Close(CloseReason::kProtocol);
    }
    ReadNow();  // the client's first bytes may have come with its handshake
  });
}

bool Channel::ConsumeUpgrade() {
  const uint8_t* data;
  size_t n = reader_.Buffered();
  reader_.Peek(n, &data);
  std::string_view in(reinterpret_cast<const char*>(data), n);
  size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (n < reader_.Capacity()) return true;  // more to come
    RejectUpgrade("400 Bad Request",
                  "request header over " + std::to_string(reader_.Capacity()) + " bytes");
    return false;
  }
  UpgradeParser p;
  p.header_limit(static_cast<std::uint32_t>(reader_.Capacity()));
  p.eager(false);
  boost::beast::error_code ec;
  p.put(asio::buffer(data, end + 4), ec);
  if (!ec && !p.is_header_done()) ec = http::error::need_more;
  if (ec) {
    RejectUpgrade("400 Bad Request", "malformed request: " + ec.message());
    return false;
  }
  reader_.Discard(end + 4);  // what follows is the client's first frames
  if (p.target != "/sub") {
    RejectUpgrade("404 Not Found", "path " + p.target);
    return false;
  }
  if (std::string why = p.Problem(); !why.empty()) {
    RejectUpgrade("400 Bad Request", why);
    return false;
  }
  // No Origin: not a browser (goim's clients and tools send none), so nothing to hijack.
  if (!p.origin.empty() &&
      !websocket::OriginAllowed(p.origin, loop_->cfg().websocket.allowedOrigins)) {
    Stats::Get().ws_origin_rejected->Inc();
    RejectUpgrade("403 Forbidden", "origin " + p.origin + " not in websocket.allowedOrigins");
    return false;
  }
  cookie_ = json::ValidUtf8(p.cookie);  // a proto string field: protobuf refuses invalid UTF-8
  AcceptUpgrade(p.key);
  return state_ != State::kClosed;
}

void Channel::RejectUpgrade(const char* status, const std::string& why) {
  Stats::Get().ws_rejected->Inc();
  LOG_EVERY_T(INFO, 1) << "comet: websocket upgrade refused ip=" << ip_ << " status=" << status
                       << " error(" << log::Printable(why, 256) << ")";
  std::string res =
      std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  boost::system::error_code ec;
  if (!tls_)
    asio::write(sock_, asio::buffer(res), ec);  // best effort, a few bytes on a fresh socket
  Close(CloseReason::kProtocol);
}

void Channel::AcceptUpgrade(const std::string& ws_key) {
  state_ = State::kHandshake;
  pending_ =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Accept: " +
      websocket::AcceptKey(ws_key) + "\r\n\r\n";
  pending_off_ = 0;
  if (!tls_) return Flush();
  // The 101 goes out through TLS on its own; replies queued meanwhile follow it.
  writing_ = true;
  asio::async_write(*tls_, asio::buffer(pending_), [this](boost::system::error_code ec, size_t) {
    writing_ = false;
    pending_.clear();
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) return Close(CloseReason::kIoError);
    Flush();
  });
}

}  // namespace goim::comet
