#include "benchmarks/lib/fleet.h"

#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <random>

#include "pkg/compress/compress.h"
#include "pkg/net/asio.h"
#include "pkg/net/listen.h"
#include "pkg/protocol/binary.h"
#include "pkg/protocol/frame.h"
#include "pkg/websocket/frame.h"

namespace goim::bench {

namespace {

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24  // Linux 4.2
#endif
using BindAddressNoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
constexpr size_t kReadChunk = 16 * 1024;
}  // namespace

struct Fleet::Impl {
  struct Conn {
    Impl* fleet;
    int index;
    int64_t mid;
    asio::io_context& io;
    tcp::socket sock;
    asio::steady_timer timer;
    std::vector<uint8_t> in;
    size_t used = 0;
    bool upgraded = false;
    bool authed = false;
    int32_t seq = 0;
    std::string out;
    Conn(Impl* f, int i, int64_t m, asio::io_context& io_)
        : fleet(f), index(i), mid(m), io(io_), sock(io_), timer(io_) {}
  };

  FleetOptions opts;
  OnFrame on_frame;
  Fleet* owner;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Conn>> conns;
  tcp::endpoint target;
  std::atomic<bool> stopping{false};

  std::string Frame(int32_t op, int32_t seq, std::string_view body) {
    std::string f;
    protocol::AppendFrame(&f, 1, op, seq, body);
    if (!opts.websocket) return f;
    uint8_t head[websocket::kMaxHeaderSize];
    const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    size_t hl = websocket::EncodeHeader(head, websocket::kBinary, f.size(), mask);
    websocket::Unmask(reinterpret_cast<uint8_t*>(f.data()), f.size(), mask);
    return std::string(reinterpret_cast<char*>(head), hl) + f;
  }

  void Schedule(Conn* c, std::chrono::milliseconds after) {
    c->timer.expires_after(after);
    c->timer.async_wait([this, c](boost::system::error_code ec) {
      if (!ec && !stopping) Dial(c);
    });
  }

  void Fail(Conn* c) {
    if (c->authed) owner->alive_--;
    owner->failures_++;
    c->authed = false;
    c->upgraded = false;
    c->used = 0;
    boost::system::error_code ignored;
    c->sock.close(ignored);
    c->timer.cancel();
    if (stopping || !opts.reconnect) return;
    thread_local std::mt19937 rng{std::random_device{}()};
    Schedule(c, std::chrono::milliseconds(rng() % 10000));
  }

  void Dial(Conn* c) {
    boost::system::error_code ec;
    c->sock = tcp::socket(c->io);
    c->sock.open(tcp::v4(), ec);
    if (!opts.local_ips.empty()) {
      // The port is chosen at connect, for the whole 4-tuple, not at bind for the address alone.
      c->sock.set_option(BindAddressNoPort(true), ec);
      const std::string& ip = opts.local_ips[static_cast<size_t>(c->index) % opts.local_ips.size()];
      c->sock.bind(tcp::endpoint(asio::ip::make_address(ip), 0), ec);
    }
    c->sock.async_connect(target, [this, c](boost::system::error_code ec) {
      if (ec) return Fail(c);
      c->sock.set_option(tcp::no_delay(true), ec);
      if (opts.websocket) {
        c->out = "GET /sub HTTP/1.1\r\nHost: " + opts.addr +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                 "dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n" +
                 (deflate() ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "") + "\r\n";
      } else {
        c->out.clear();
      }
      const std::string room = opts.room_of ? opts.room_of(c->index) : opts.room;
      std::string token =
          "{\"mid\":" + std::to_string(c->mid) + ",\"key\":\"\",\"room_id\":\"" + room +
          "\",\"platform\":\"" + opts.platform + "\",\"accepts\":" + opts.accepts +
          (deflate() || opts.compress.empty() ? std::string()
                                              : ",\"compress\":\"" + opts.compress + "\"") +
          (opts.history < 0 ? std::string() : ",\"history\":" + std::to_string(opts.history)) + "}";
      c->out += Frame(protocol::kOpAuth, c->seq++, token);
      asio::async_write(c->sock, asio::buffer(c->out),
                        [this, c](boost::system::error_code ec, size_t) {
                          if (ec) return Fail(c);
                        });
      if (c->in.size() < kReadChunk) c->in.resize(kReadChunk);
      Read(c);
    });
  }

  void Heartbeat(Conn* c) {
    c->timer.expires_after(opts.heartbeat);
    c->timer.async_wait([this, c](boost::system::error_code ec) {
      if (ec || stopping || !c->authed) return;
      auto buf = std::make_shared<std::string>(Frame(protocol::kOpHeartbeat, c->seq++, ""));
      asio::async_write(c->sock, asio::buffer(*buf),
                        [this, c, buf](boost::system::error_code ec, size_t) {
                          if (ec) return Fail(c);
                        });
      Heartbeat(c);
    });
  }

  void Read(Conn* c) {
    if (c->in.size() - c->used < 4096) c->in.resize(c->in.size() * 2);
    c->sock.async_read_some(
        asio::buffer(c->in.data() + c->used, c->in.size() - c->used),
        [this, c](boost::system::error_code ec, size_t n) {
          if (ec) return Fail(c);
          owner->bytes_.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
          c->used += n;
          size_t consumed = Parse(c);
          if (consumed == SIZE_MAX) return Fail(c);
          if (consumed) {
            std::memmove(c->in.data(), c->in.data() + consumed, c->used - consumed);
            c->used -= consumed;
          }
          Read(c);
        });
  }

  bool deflate() const { return opts.websocket && opts.compress == "deflate-ws"; }

  // Inflated data lives in one of two per-thread buffers: a permessage-deflate message's, and a
  // compressed batch frame's inside it (batches are never nested: a compressed batch in a
  // compressed batch is refused).
  enum Scratch { kMessage, kBatch };
  static bool Inflate(compress::Codec codec, std::string_view in, Scratch which,
                      std::string_view* out) {
    thread_local std::string scratch[2];
    std::string& buf = scratch[which];
    if (compress::Decompress(codec, {reinterpret_cast<const uint8_t*>(in.data()), in.size()},
                             size_t(1) << 26, &buf) != compress::Status::kOk)
      return false;
    *out = buf;
    return true;
  }

  // Returns false on a batch that does not inflate.
  bool Deliver(Conn* c, const uint8_t* p, size_t n, bool in_batch = false) {
    size_t at = 0;
    while (at + protocol::kRawHeaderSize <= n) {
      protocol::Header h = protocol::DecodeHeader(p + at);
      if (h.pack_len < protocol::kRawHeaderSize || at + static_cast<size_t>(h.pack_len) > n)
        return true;
      std::string_view body(reinterpret_cast<const char*>(p + at + protocol::kRawHeaderSize),
                            static_cast<size_t>(h.pack_len - protocol::kRawHeaderSize));
      if (h.op == protocol::kOpRaw &&
          (h.ver == protocol::kVerZlib || h.ver == protocol::kVerBrotli)) {
        std::string_view inner;
        if (in_batch ||
            !Inflate(
                h.ver == protocol::kVerZlib ? compress::Codec::kZlib : compress::Codec::kBrotli,
                body, kBatch, &inner) ||
            !Deliver(c, reinterpret_cast<const uint8_t*>(inner.data()), inner.size(), true))
          return false;
      } else if (h.op == protocol::kOpRaw) {
        if (!Deliver(c, reinterpret_cast<const uint8_t*>(body.data()), body.size(), in_batch))
          return false;
      } else if (h.op == protocol::kOpAuthReply) {
        if (!c->authed) {
          c->authed = true;
          owner->alive_++;
          Heartbeat(c);
        }
      } else if (h.op != protocol::kOpHeartbeatReply) {
        owner->received_.fetch_add(1, std::memory_order_relaxed);
        if (on_frame) on_frame(c->index, h.op, body);
      }
      at += static_cast<size_t>(h.pack_len);
    }
    return true;
  }

  // Consumes whole frames from c->in; returns the bytes consumed, SIZE_MAX on a protocol error.
  size_t Parse(Conn* c) {
    const uint8_t* p = c->in.data();
    size_t n = c->used, at = 0;
    if (opts.websocket && !c->upgraded) {
      std::string_view s(reinterpret_cast<const char*>(p), n);
      size_t end = s.find("\r\n\r\n");
      if (end == std::string_view::npos) return 0;
      if (s.substr(0, 12) != "HTTP/1.1 101") return SIZE_MAX;
      c->upgraded = true;
      at = end + 4;
    }
    if (!opts.websocket) {
      size_t start = at;
      while (at + protocol::kRawHeaderSize <= n) {
        int32_t len = protocol::LoadI32(p + at);
        if (len < protocol::kRawHeaderSize) return SIZE_MAX;
        if (at + static_cast<size_t>(len) > n) break;
        at += static_cast<size_t>(len);
      }
      if (!Deliver(c, p + start, at - start)) return SIZE_MAX;
      return at;
    }
    for (;;) {
      websocket::FrameHeader h;
      auto fe = websocket::ParseHeader({p + at, n - at}, false, 1ull << 30, &h, deflate());
      if (fe == websocket::FrameError::kNeedMore) break;
      if (fe != websocket::FrameError::kOk) return SIZE_MAX;
      size_t total = h.header_len + static_cast<size_t>(h.payload_len);
      if (n - at < total) break;
      if (h.opcode == websocket::kBinary || h.opcode == websocket::kText) {
        std::string_view payload(reinterpret_cast<const char*>(p + at + h.header_len),
                                 static_cast<size_t>(h.payload_len));
        if (h.rsv1 && !Inflate(compress::Codec::kDeflateRaw, payload, kMessage, &payload))
          return SIZE_MAX;
        if (!Deliver(c, reinterpret_cast<const uint8_t*>(payload.data()), payload.size()))
          return SIZE_MAX;
      } else if (h.opcode == websocket::kClose) {
        return SIZE_MAX;
      }
      at += total;
    }
    return at;
  }
};

Fleet::Fleet(FleetOptions opts, OnFrame on_frame) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(opts);
  impl_->on_frame = std::move(on_frame);
  impl_->owner = this;
}

Fleet::~Fleet() { Stop(); }

void Fleet::Start() {
  Impl& f = *impl_;
  f.target = net::ParseEndpoint(
      f.opts.addr.rfind("localhost:", 0) == 0 ? "127.0.0.1" + f.opts.addr.substr(9) : f.opts.addr);
  int nt = std::max(1, f.opts.threads);
  for (int i = 0; i < nt; ++i) f.ios.push_back(std::make_unique<asio::io_context>(1));
  std::mt19937 rng{std::random_device{}()};
  for (int i = 0; i < f.opts.count; ++i) {
    auto& io = *f.ios[static_cast<size_t>(i % nt)];
    f.conns.push_back(std::make_unique<Impl::Conn>(&f, i, f.opts.mid_begin + i, io));
    Impl::Conn* c = f.conns.back().get();
    auto delay = f.opts.ramp.count() > 0 ? std::chrono::milliseconds(rng() % f.opts.ramp.count())
                                         : std::chrono::milliseconds(0);
    asio::post(io, [&f, c, delay] {
      if (delay.count() == 0)
        f.Dial(c);
      else
        f.Schedule(c, delay);
    });
  }
  for (auto& io : f.ios) {
    f.threads.emplace_back([io = io.get()] {
      auto guard = asio::make_work_guard(*io);
      io->run();
    });
  }
}

void Fleet::Stop() {
  Impl& f = *impl_;
  if (f.stopping.exchange(true)) return;
  for (auto& io : f.ios) {
    asio::post(*io, [&f, io = io.get()] {
      for (auto& c : f.conns) {
        if (&c->io != io) continue;
        boost::system::error_code ec;
        c->timer.cancel();
        c->sock.close(ec);
      }
      io->stop();
    });
  }
  for (auto& t : f.threads) t.join();
}

bool ParseStamp(std::string_view body, int64_t* seq, int64_t* ns) {
  if (body.starts_with("{\"seq\":")) {
    size_t ts = body.find(",\"ts\":");
    if (ts == std::string_view::npos) return false;
    auto a = std::from_chars(body.data() + 7, body.data() + ts, *seq);
    auto b = std::from_chars(body.data() + ts + 6, body.data() + body.size(), *ns);
    return a.ec == std::errc() && b.ec == std::errc();
  }
  size_t sp = body.find(' ');
  if (sp == std::string_view::npos) return false;
  auto a = std::from_chars(body.data(), body.data() + sp, *seq);
  auto b = std::from_chars(body.data() + sp + 1, body.data() + body.size(), *ns);
  return a.ec == std::errc() && b.ec == std::errc();
}

}  // namespace goim::bench
