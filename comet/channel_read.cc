// Channel reading: frames off the socket, through the WebSocket message reader when there is
// one, to the operations.
//
// Every connection waits for readiness and then reads without blocking into a pooled buffer
// taken only while bytes are buffered; asio's reactor is edge-triggered, so a read stops only at
// a short read (the socket is drained; TLS: when the stream would block) and every resume starts
// with a read attempt.
//
// Errors: a WebSocket framing violation (anything websocket::MessageReader refuses) counts
// goim_comet_ws_errors_total and fails the connection with a Close frame (1002, or 1009 for a
// message over websocket.maxMessageSize), as RFC 6455 asks; a message that does not hold a valid
// goim frame counts goim_comet_proto_errors_total and closes the connection as a bad TCP frame
// does (goim's way, no Close frame), whether the message came in one WebSocket frame or in
// fragments.
#include <glog/logging.h>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/log/log.h"
#include "pkg/protocol/binary.h"
#include "pkg/websocket/message.h"

namespace goim::comet {

// --- reading ---------------------------------------------------------------------------------

void Channel::ReleaseReadBuffer() {
  if (rbuf_ && reader_.Buffered() == 0) {
    loop_->PutReadBuffer(rbuf_);
    rbuf_ = nullptr;
    reader_.Reset({});
  }
}

void Channel::OnReadError(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::error::connection_reset) {
    Close(CloseReason::kPeerClosed);
  } else {
    VLOG(1) << "comet: read error key=" << log::Printable(key_) << " ip=" << ip_ << " error("
            << ec.message() << ")";
    Close(CloseReason::kIoError);
  }
}

// Reads what the socket has, without blocking, then waits for readability with no buffer held.
// TLS reads go through the ssl stream the same way; a TLS record may leave more plaintext behind
// a short read, so TLS keeps reading until the stream would block.
void Channel::ReadNow() {
  for (int round = 0; round < 16; ++round) {
    if (!rbuf_) {
      rbuf_ = loop_->GetReadBuffer();
      reader_.Reset(rbuf_->span(loop_->read_buffer_size()));
    }
    std::span<uint8_t> tail = reader_.WritableTail();
    if (tail.empty()) {  // a frame larger than the buffer: refused by config limits, but never spin
      Stats::Get().proto_errors->Inc();
      return Close(CloseReason::kProtocol);
    }
    boost::system::error_code ec;
    size_t n = tls_ ? tls_->read_some(asio::buffer(tail.data(), tail.size()), ec)
                    : sock_.read_some(asio::buffer(tail.data(), tail.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ReleaseReadBuffer();
      return WaitReadable();
    }
    if (ec) return OnReadError(ec);
    reader_.Commit(n);
    if (!Consume()) return;  // closed
    if (Paused()) {          // resumed when logic answers; an empty buffer
      ReleaseReadBuffer();   //   goes back to the pool meanwhile (a connect
      return;                //   storm would otherwise hold one per connection)
    }
    if (!tls_ && n < tail.size()) {  // drained: wait for the next edge
      ReleaseReadBuffer();
      return WaitReadable();
    }
  }
  // Still more to read: let other channels of the loop run first.
  reading_ = true;
  asio::post(loop_->io(), [this] {
    reading_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    ReadNow();
  });
}

void Channel::WaitReadable() {
  reading_ = true;
  raw().async_wait(tcp::socket::wait_read, [this](boost::system::error_code ec) {
    reading_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) return OnReadError(ec);
    ReadNow();
  });
}

// After logic answered (auth or Receive): the frames buffered behind, then the socket.
void Channel::Resume() {
  if (!Consume() || Paused()) return;
  ReadNow();
}

bool Channel::Consume() {
  if (!rbuf_) return state_ != State::kClosed;
  if (state_ == State::kUpgrade) {
    if (!ConsumeUpgrade()) return false;
    if (state_ == State::kUpgrade) return true;  // the request's header is not complete yet
  }
  return transport_ == Transport::kTcp ? ConsumeTcp() : ConsumeWs();
}

bool Channel::ConsumeTcp() {
  protocol::Frame f;
  while (TakesFrames()) {
    protocol::Error e = protocol::ReadTcp(reader_, &f);
    if (e == protocol::Error::kNeedMore) break;
    if (e != protocol::Error::kOk) return BadFrame(e);
    if (!HandleFrame(f)) return false;
  }
  return state_ != State::kClosed;
}

bool Channel::ConsumeWs() {
  protocol::Frame f;
  while (TakesFrames() && reader_.Buffered() > 0) {
    const uint8_t* data;
    reader_.Peek(reader_.Buffered(), &data);
    // The buffer is this channel's own: the reader unmasks payloads in place.
    std::span<uint8_t> in(const_cast<uint8_t*>(data), reader_.Buffered());
    websocket::Message m = ws_.Read(in);
    switch (m.kind) {
      case websocket::Message::kNeedMore:
        reader_.Discard(m.consumed);  // fragments of a message taken in so far
        return true;
      case websocket::Message::kError:
        return BadWsFrame(m.error);
      case websocket::Message::kClose:
        // goim just closes; RFC 6455 5.5.1 wants a Close frame back, echoing the status code.
        CloseWs(websocket::CloseReplyCode(m.payload()), CloseReason::kWsClose);
        return false;
      case websocket::Message::kPing:
        if (!ReplyPong(m.payload())) return false;
        break;
      case websocket::Message::kPong:
        break;
      case websocket::Message::kData:
        if (protocol::Error e = protocol::ReadWebsocket(m.payload(), &f); e != protocol::Error::kOk)
          return BadFrame(e);
        reader_.Discard(m.consumed);
        if (!HandleFrame(f)) return false;
        continue;
    }
    reader_.Discard(m.consumed);
  }
  return state_ != State::kClosed;
}

bool Channel::BadFrame(protocol::Error e) {
  Stats::Get().proto_errors->Inc();
  LOG_EVERY_T(WARNING, 1) << "comet: bad frame key=" << log::Printable(key_) << " ip=" << ip_
                          << " error(" << protocol::ErrorName(e) << ")";
  Close(CloseReason::kProtocol);
  return false;
}

// RFC 6455 7.1.7: failing the connection sends a Close frame with the reason's code first.
bool Channel::BadWsFrame(websocket::FrameError e) {
  Stats::Get().ws_errors->Inc();
  LOG_EVERY_T(WARNING, 1) << "comet: bad websocket frame key=" << log::Printable(key_)
                          << " ip=" << ip_ << " error(" << websocket::FrameErrorName(e) << ")";
  CloseWs(websocket::FailCode(e), CloseReason::kProtocol);
  return false;
}

}  // namespace goim::comet
