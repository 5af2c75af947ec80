// Channel writing: replies and push references into the WriteQueue, then out in gather-writes
// with at most one write in flight; the slow-consumer check.
//
// Plain writes try the socket at once (no reactor round trip when it has room); what it does not
// take is copied into `pending_` and sent when it is writable. TLS (WSS) writes go through the
// ssl stream asynchronously.
#include <glog/logging.h>

#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/log/log.h"
#include "pkg/protocol/binary.h"
#include "pkg/websocket/frame.h"

namespace goim::comet {

// --- queueing ----------------------------------------------------------------------------------

bool Channel::Push(LoopMsg* m) {
  if (!ready()) return false;
  if (hist_) return PushHistory(m);
  return PushShared(m);
}

bool Channel::PushShared(LoopMsg* m) {
  const uint32_t limit = static_cast<uint32_t>(loop_->cfg().protocol.svrProto);
  if (out_.pushes() >= limit && !writing_) Flush();  // the socket may take them right now
  if (!ready()) return false;
  if (out_.pushes() >= limit) {
    Stats::Get().pushes_dropped->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: push dropped, connection queue full key="
                            << log::Printable(key_) << " ip=" << ip_ << " queued=" << out_.pushes();
    return false;
  }
  ++m->refs;
  Stats::Get().pushes_queued->Inc();
  return Enqueue(WriteItem::Push(m, &BytesFor(m, enc_, loop_->cfg())));
}

bool Channel::Enqueue(WriteItem it) {
  out_.Add(it);
  if (!writing_) loop_->MarkDirty(this);
  CheckSlow();
  return state_ != State::kClosed;
}

void Channel::ReleaseItem(const WriteItem& it) {
  if (it.msg) {
    UnrefMsg(it.msg);
  } else {
    it.reply->body.clear();
    replies_.GetAdv();
  }
}

// Behind: more than slowBytes unsent, or svrProto pushes queued (the next push is dropped). The
// slow timer starts when a connection falls behind and stops only when everything is written
// (Drained): one that falls behind again and again without catching up is closed after slowTime,
// whatever the size of its pushes.
void Channel::CheckSlow() {
  if (!ready() || slow_timer_.valid()) return;  // closing has a deadline of its own
  const Config& c = loop_->cfg();
  size_t unsent = out_.bytes() + (pending_.size() - pending_off_);
  if (unsent <= static_cast<size_t>(c.protocol.slowBytes) &&
      out_.pushes() < static_cast<uint32_t>(c.protocol.svrProto))
    return;
  slow_timer_ = loop_->timers().Add(c.protocol.slowTime, &Channel::OnSlow, this);
}

// --- writing -----------------------------------------------------------------------------------

void Channel::BuildWrite(std::vector<asio::const_buffer>* iov, size_t* items, size_t* bytes) {
  const size_t n =
      std::min<size_t>(out_.size(), static_cast<size_t>(loop_->cfg().protocol.writeBatch));
  size_t total = 0;
  auto add = [&](const void* p, size_t len) {
    if (len == 0) return;
    iov->emplace_back(p, len);
    total += len;
  };
  auto add_payload = [&](const WriteItem& it) {
    add(it.payload->bytes.data(), it.payload->bytes.size());
  };
  if (transport_ == Transport::kTcp) {
    // TCP: pushes go out as they are (frames, or one compressed batch frame), replies as frames.
    for (size_t i = 0; i < n; ++i) {
      const WriteItem& it = out_[i];
      if (it.msg) {
        add_payload(it);
      } else {
        add(it.reply->head, it.reply->head_len);
        add(it.reply->body.data(), it.reply->body.size());
      }
    }
  } else {
    // WebSocket: consecutive pushes of plain frames share one binary message, an OpRaw whose body
    // holds all their frames; a compressed push is a message of its own (a batch frame, or a
    // permessage-deflate message with RSV1); each reply is a message of its own.
    auto plain = [&](size_t i) { return out_[i].msg && out_[i].payload->kind == Payload::kFrames; };
    uint8_t* scratch = loop_->scratch(n * 32);
    size_t used = 0;
    for (size_t i = 0; i < n;) {
      const WriteItem& it = out_[i];
      uint8_t* h = scratch + used;
      if (plain(i)) {
        size_t j = i, inner = 0;
        while (j < n && plain(j)) inner += out_[j++].payload->bytes.size();
        size_t hl =
            websocket::EncodeHeader(h, websocket::kBinary, inner + protocol::kRawHeaderSize);
        protocol::EncodeHeader(h + hl, static_cast<int32_t>(inner) + protocol::kRawHeaderSize, 1,
                               protocol::kOpRaw, 0);
        add(h, hl + protocol::kRawHeaderSize);
        used += hl + protocol::kRawHeaderSize;
        for (; i < j; ++i) add_payload(out_[i]);
        continue;
      }
      if (it.msg) {
        const bool deflated = it.payload->kind == Payload::kWsMessage;
        size_t hl = websocket::EncodeHeader(h, websocket::kBinary, it.payload->bytes.size(),
                                            nullptr, deflated);
        add(h, hl);
        used += hl;
        add_payload(it);
        ++i;
        continue;
      }
      Reply* r = it.reply;
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
    WriteItem it = out_.Pop();
    frames +=
        it.msg ? static_cast<uint64_t>(it.payload->frame_count) : (it.reply->ws_opcode ? 0 : 1);
    ReleaseItem(it);
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
    if (out_.empty()) break;
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
  Drained();
}

void Channel::Drained() {
  out_.Release();
  replies_.Release();
  if (slow_timer_.valid()) loop_->timers().Del(slow_timer_);  // caught up
  if (state_ == State::kClosing) Close(closing_);
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
  if (out_.empty()) return Drained();
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
