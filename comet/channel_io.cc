// Channel I/O: reading frames off the socket and the write path.
//
// Every connection waits for readiness and then reads without blocking into a pooled buffer
// taken only while bytes are buffered; asio's reactor is edge-triggered, so a read stops only at
// a short read (the socket is drained; TLS: when the stream would block) and every resume starts
// with a read attempt. Plain writes try the socket at once (no reactor round trip when it has
// room); what it does not take is copied into `pending_` and sent when it is writable. TLS (WSS)
// writes go through the ssl stream asynchronously.
#include <glog/logging.h>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/log/log.h"
#include "pkg/protocol/binary.h"
#include "pkg/websocket/frame.h"

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
    if (e != protocol::Error::kOk) {
      Stats::Get().proto_errors->Inc();
      LOG_EVERY_T(WARNING, 1) << "comet: bad frame key=" << log::Printable(key_) << " ip=" << ip_
                              << " error(" << protocol::ErrorName(e) << ")";
      Close(CloseReason::kProtocol);
      return false;
    }
    if (!HandleFrame(f)) return false;
  }
  return state_ != State::kClosed;
}

bool Channel::ConsumeWs() {
  const uint64_t max = static_cast<uint64_t>(loop_->cfg().websocket.maxMessageSize);
  auto fail = [this](const char* what) {
    Stats::Get().ws_errors->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: bad websocket frame key=" << log::Printable(key_)
                            << " ip=" << ip_ << " error(" << what << ")";
    Close(CloseReason::kProtocol);
    return false;
  };
  protocol::Frame f;
  while (TakesFrames() && reader_.Buffered() > 0) {
    const uint8_t* data;
    reader_.Peek(reader_.Buffered(), &data);
    std::span<const uint8_t> in(data, reader_.Buffered());
    websocket::FrameHeader h;
    websocket::FrameError fe = websocket::ParseHeader(in, true, max, &h);
    if (fe == websocket::FrameError::kNeedMore) break;
    if (fe != websocket::FrameError::kOk) return fail(websocket::FrameErrorName(fe));
    size_t total = h.header_len + static_cast<size_t>(h.payload_len);
    if (in.size() < total) break;
    // The buffer is this channel's own: unmask in place.
    auto* payload = const_cast<uint8_t*>(data) + h.header_len;
    size_t len = static_cast<size_t>(h.payload_len);
    websocket::Unmask(payload, len, h.mask);
    std::span<const uint8_t> body(payload, len);
    bool ok = true;
    switch (h.opcode) {
      case websocket::kClose:
        reader_.Discard(total);
        Close(CloseReason::kWsClose);  // as goim: no close frame back
        return false;
      case websocket::kPing: {
        Reply* r = ReplySlot();
        if (!r) return false;
        r->head_len = 0;
        r->ws_opcode = websocket::kPong;
        r->body.assign(reinterpret_cast<const char*>(payload), len);
        replies_.SetAdv();
        ok = Enqueue({nullptr, r}, len);
        break;
      }
      case websocket::kPong:
        break;
      case websocket::kContinuation:
        if (!ws_fragmented_) return fail("continuation without a start");
        if (ws_message_.size() + len > max) return fail("message too large");
        ws_message_.append(reinterpret_cast<const char*>(payload), len);
        if (h.fin) {
          ws_fragmented_ = false;
          std::string msg = std::move(ws_message_);
          ws_message_.clear();
          protocol::Error e = protocol::ReadWebsocket(
              {reinterpret_cast<const uint8_t*>(msg.data()), msg.size()}, &f);
          if (e != protocol::Error::kOk) {
            reader_.Discard(total);
            return fail(protocol::ErrorName(e));
          }
          reader_.Discard(total);
          if (!HandleFrame(f)) return false;
          continue;
        }
        break;
      default:  // text or binary
        if (ws_fragmented_) return fail("new message inside a fragmented one");
        if (!h.fin) {
          ws_fragmented_ = true;
          ws_message_.assign(reinterpret_cast<const char*>(payload), len);
          break;
        }
        if (protocol::Error e = protocol::ReadWebsocket(body, &f); e != protocol::Error::kOk) {
          Stats::Get().proto_errors->Inc();
          LOG_EVERY_T(WARNING, 1) << "comet: bad frame key=" << log::Printable(key_)
                                  << " ip=" << ip_ << " error(" << protocol::ErrorName(e) << ")";
          Close(CloseReason::kProtocol);
          return false;
        }
        reader_.Discard(total);
        if (!HandleFrame(f)) return false;
        continue;
    }
    reader_.Discard(total);
    if (!ok) return false;
  }
  return state_ != State::kClosed;
}

// --- writing ---------------------------------------------------------------------------------

void Channel::BuildWrite(std::vector<asio::const_buffer>* iov, size_t* items, size_t* bytes) {
  const size_t n = std::min<size_t>(q_size_, static_cast<size_t>(loop_->cfg().protocol.writeBatch));
  size_t total = 0;
  auto add = [&](const void* p, size_t len) {
    if (len == 0) return;
    iov->emplace_back(p, len);
    total += len;
  };
  auto at = [&](size_t i) -> Item& { return queue_[(q_head_ + i) % q_cap_]; };
  if (transport_ == Transport::kTcp) {
    // TCP: push bodies go out raw (an OpRaw body is already a run of frames), replies as frames.
    for (size_t i = 0; i < n; ++i) {
      Item& it = at(i);
      if (it.msg) {
        add(it.msg->data->frames.data(), it.msg->data->frames.size());
      } else {
        add(it.reply->head, it.reply->head_len);
        add(it.reply->body.data(), it.reply->body.size());
      }
    }
  } else {
    // WebSocket: consecutive pushes share one binary message, an OpRaw whose body holds all
    // their frames; each reply is a message of its own (one goim frame per message).
    uint8_t* scratch = loop_->scratch(n * 32);
    size_t used = 0;
    for (size_t i = 0; i < n;) {
      Item& it = at(i);
      if (it.msg) {
        size_t j = i, inner = 0;
        while (j < n && at(j).msg) inner += at(j++).msg->data->frames.size();
        uint8_t* h = scratch + used;
        size_t hl =
            websocket::EncodeHeader(h, websocket::kBinary, inner + protocol::kRawHeaderSize);
        protocol::EncodeHeader(h + hl, static_cast<int32_t>(inner) + protocol::kRawHeaderSize, 1,
                               protocol::kOpRaw, 0);
        add(h, hl + protocol::kRawHeaderSize);
        used += hl + protocol::kRawHeaderSize;
        for (; i < j; ++i) add(at(i).msg->data->frames.data(), at(i).msg->data->frames.size());
        continue;
      }
      Reply* r = it.reply;
      uint8_t* h = scratch + used;
      uint8_t opcode = r->ws_opcode ? r->ws_opcode : static_cast<uint8_t>(websocket::kBinary);
      size_t hl = websocket::EncodeHeader(h, opcode, r->head_len + r->body.size());
      add(h, hl);
      used += hl;
      add(r->head, r->head_len);
      add(r->body.data(), r->body.size());
      ++i;
    }
  }
  *items = n;
  *bytes = total;
}

void Channel::WriteDone(size_t items) {
  uint64_t frames = 0;
  for (size_t i = 0; i < items; ++i) {
    Item& it = queue_[q_head_];
    frames +=
        it.msg ? static_cast<uint64_t>(it.msg->data->frame_count) : (it.reply->ws_opcode ? 0 : 1);
    ReleaseItem(it);
    q_head_ = (q_head_ + 1) % q_cap_;
    --q_size_;
  }
  Stats::Get().frames_written->Inc(frames);
}

void Channel::Flush() {
  if (state_ == State::kClosed || writing_ || state_ == State::kUpgrade) return;
  if (tls_) return TlsWrite();
  Stats& st = Stats::Get();
  for (;;) {
    boost::system::error_code ec;
    if (pending_off_ < pending_.size()) {
      size_t n = sock_.write_some(
          asio::buffer(pending_.data() + pending_off_, pending_.size() - pending_off_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) return WaitWritable();
      if (ec) return Close(CloseReason::kIoError);
      st.writes->Inc();
      st.bytes_written->Inc(n);
      pending_off_ += n;
      if (pending_off_ < pending_.size()) return WaitWritable();
      std::string().swap(pending_);
      pending_off_ = 0;
      CheckSlow();
      continue;
    }
    if (q_size_ == 0) break;
    std::vector<asio::const_buffer>& iov = loop_->iov();
    iov.clear();
    size_t items = 0, bytes = 0;
    BuildWrite(&iov, &items, &bytes);
    size_t n = null_sink_ ? bytes : sock_.write_some(iov, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      n = 0;
    } else if (ec) {
      return Close(CloseReason::kIoError);
    }
    if (n > 0) {
      st.writes->Inc();
      st.bytes_written->Inc(n);
    }
    if (n < bytes) {
      // Keep the unsent tail; the queued references can go.
      st.write_waits->Inc();
      size_t skip = n;
      for (const auto& b : iov) {
        if (skip >= b.size()) {
          skip -= b.size();
          continue;
        }
        pending_.append(static_cast<const char*>(b.data()) + skip, b.size() - skip);
        skip = 0;
      }
      WriteDone(items);
      CheckSlow();
      return WaitWritable();
    }
    WriteDone(items);
  }
  // Drained: an idle connection keeps no queue and no reply slots.
  queue_.reset();
  q_head_ = 0;
  q_cap_ = 0;
  replies_.Release();
}

void Channel::WaitWritable() {
  writing_ = true;
  sock_.async_wait(tcp::socket::wait_write, [this](boost::system::error_code ec) {
    writing_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) return Close(CloseReason::kIoError);
    Flush();
  });
}

void Channel::TlsWrite() {
  if (q_size_ == 0) return;
  std::vector<asio::const_buffer>& iov = loop_->iov();
  iov.clear();
  size_t items = 0, bytes = 0;
  BuildWrite(&iov, &items, &bytes);
  pending_.clear();
  pending_.reserve(bytes);
  for (const auto& b : iov) pending_.append(static_cast<const char*>(b.data()), b.size());
  pending_off_ = 0;
  WriteDone(items);
  writing_ = true;
  asio::async_write(*tls_, asio::buffer(pending_), [this](boost::system::error_code ec, size_t n) {
    writing_ = false;
    if (state_ == State::kClosed) return MaybeFree();
    if (ec) return Close(CloseReason::kIoError);
    Stats::Get().writes->Inc();
    Stats::Get().bytes_written->Inc(n);
    pending_.clear();
    CheckSlow();
    Flush();
  });
}

}  // namespace goim::comet
