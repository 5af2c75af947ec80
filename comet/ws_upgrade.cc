// The WebSocket upgrade: Boost.Beast reads and parses the HTTP request; the checks and the 101
// response are goim's (path exactly /sub, GET, Upgrade: websocket, Connection: upgrade,
// Sec-WebSocket-Version: 13, a key). A wrong path gets 404, other bad requests 400, then the
// connection is closed. For WSS the TLS handshake comes first.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cstring>

#include <glog/logging.h>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/websocket/frame.h"

namespace goim::comet {

namespace http = boost::beast::http;

struct Channel::UpgradeState {
  boost::beast::flat_buffer buf{8192};
  http::request_parser<http::empty_body> parser;
};

void Channel::FreeUpgrade() {
  delete upgrade_;
  upgrade_ = nullptr;
}

void Channel::StartUpgrade() {
  upgrade_ = new UpgradeState();
  upgrade_->parser.header_limit(8192);
  upgrade_->parser.body_limit(0);
  if (!tls_) return ReadUpgrade();
  reading_ = true;
  tls_->async_handshake(asio::ssl::stream_base::server, [this](boost::system::error_code ec) {
    reading_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) {
      LOG_EVERY_T(WARNING, 1) << "comet: tls handshake failed ip=" << ip_ << " error(" << ec.message() << ")";
      return Close(CloseReason::kProtocol);
    }
    ReadUpgrade();
  });
}

void Channel::ReadUpgrade() {
  auto done = [this](boost::system::error_code ec, size_t) {
    reading_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) {
      if (ec == asio::error::eof || ec == http::error::end_of_stream) return Close(CloseReason::kPeerClosed);
      Stats::Get().ws_rejected->Inc();
      return RejectUpgrade("400 Bad Request", "malformed request: " + ec.message());
    }
    const auto& req = upgrade_->parser.get();
    auto field = [&](http::field f) { return std::string(req[f]); };
    // Bytes the client sent after the request (its first frames) belong to the frame reader.
    std::string leftover(static_cast<const char*>(upgrade_->buf.data().data()), upgrade_->buf.size());
    OnUpgradeRequest(std::string(req.method_string()), std::string(req.target()), field(http::field::upgrade),
                     field(http::field::connection), field(http::field::sec_websocket_version),
                     field(http::field::sec_websocket_key), field(http::field::cookie), std::move(leftover));
  };
  reading_ = true;
  if (tls_) http::async_read(*tls_, upgrade_->buf, upgrade_->parser, done);
  else http::async_read(sock_, upgrade_->buf, upgrade_->parser, done);
}

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

void Channel::RejectUpgrade(const char* status, const std::string& why) {
  LOG_EVERY_T(INFO, 1) << "comet: websocket upgrade refused ip=" << ip_ << " status=" << status << " error(" << why << ")";
  std::string res = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  boost::system::error_code ec;
  if (!tls_) asio::write(sock_, asio::buffer(res), ec);  // best effort, a few bytes on a fresh socket
  Close(CloseReason::kProtocol);
}

void Channel::OnUpgradeRequest(const std::string& method, const std::string& target, const std::string& upgrade,
                               const std::string& connection, const std::string& version,
                               const std::string& ws_key, const std::string& cookie, std::string leftover) {
  FreeUpgrade();
  if (target != "/sub") {
    Stats::Get().ws_rejected->Inc();
    return RejectUpgrade("404 Not Found", "path " + target);
  }
  std::string why;
  if (method != "GET") why = "method " + method;
  else if (Lower(upgrade) != "websocket") why = "no Upgrade: websocket";
  else if (Lower(connection).find("upgrade") == std::string::npos) why = "no Connection: upgrade";
  else if (version != "13") why = "Sec-WebSocket-Version '" + version + "'";
  else if (ws_key.empty()) why = "no Sec-WebSocket-Key";
  if (!why.empty()) {
    Stats::Get().ws_rejected->Inc();
    return RejectUpgrade("400 Bad Request", why);
  }
  cookie_ = cookie;
  state_ = State::kHandshake;
  pending_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
             websocket::AcceptKey(ws_key) + "\r\n\r\n";
  pending_off_ = 0;
  if (!leftover.empty()) {
    rbuf_ = loop_->GetReadBuffer();
    reader_.Reset(rbuf_->span(loop_->read_buffer_size()));
    std::span<uint8_t> tail = reader_.WritableTail();
    size_t n = std::min(tail.size(), leftover.size());
    std::memcpy(tail.data(), leftover.data(), n);
    reader_.Commit(n);
  }
  if (tls_) {
    // The 101 goes out through the TLS write path as a raw reply-less write.
    writing_ = true;
    asio::async_write(*tls_, asio::buffer(pending_), [this](boost::system::error_code ec, size_t) {
      writing_ = false;
      pending_.clear();
      if (state_ == State::kClosed) return MaybeFree();
      if (ec) return Close(CloseReason::kIoError);
      if (!Consume() || state_ == State::kAuthing) return;
      TlsRead();
    });
    return;
  }
  Flush();
  if (state_ == State::kClosed) return;
  if (!Consume()) return;
  if (state_ == State::kAuthing) return ReleaseReadBuffer();  // as in ReadNow: none held during auth
  ReadNow();
}

}  // namespace goim::comet
