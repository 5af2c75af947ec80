#include "test/support/goim_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <random>

#include "pkg/compress/compress.h"
#include "pkg/protocol/binary.h"
#include "pkg/protocol/frame.h"
#include "pkg/websocket/frame.h"

namespace goim::testing {

namespace {

int ConnectTcp(const std::string& addr, std::string* err) {
  size_t colon = addr.rfind(':');
  std::string host = addr.substr(0, colon);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (err) *err = std::string("connect ") + addr + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

std::string Token(int64_t mid, const std::string& key, const std::string& room,
                  const std::vector<int32_t>& accepts, const std::string& platform) {
  std::string t = "{\"mid\":" + std::to_string(mid) + ",\"key\":\"" + key + "\",\"room_id\":\"" +
                  room + "\",\"platform\":\"" + platform + "\",\"accepts\":[";
  for (size_t i = 0; i < accepts.size(); ++i) t += (i ? "," : "") + std::to_string(accepts[i]);
  return t + "]}";
}

std::unique_ptr<Client> Client::Dial(const std::string& addr, Transport t, std::string* err,
                                     const std::string& path, int* status,
                                     const std::string& extra_headers) {
  int fd = ConnectTcp(addr, err);
  if (fd < 0) return nullptr;
  std::unique_ptr<Client> c(new Client(fd, t));
  if (t == Transport::kTcp) return c;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + addr +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                    "dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n" +
                    extra_headers + "\r\n";
  if (!c->WriteAll(req)) return nullptr;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  size_t end;
  while ((end = c->in_.find("\r\n\r\n")) == std::string::npos) {
    if (!c->Fill(deadline)) {
      if (status) *status = 0;
      if (err) *err = "no upgrade response";
      return nullptr;
    }
  }
  std::string head = c->in_.substr(0, end + 4);
  c->in_.erase(0, end + 4);
  c->response_head_ = head;
  c->deflate_ = head.find("Sec-WebSocket-Extensions: permessage-deflate") != std::string::npos;
  int code = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
  if (status) *status = code;
  if (code != 101 ||
      head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == std::string::npos) {
    if (err) *err = "upgrade refused: " + head.substr(0, head.find("\r\n"));
    return nullptr;
  }
  return c;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string WsFrame(std::string_view payload, uint8_t opcode, bool fin, bool masked, bool rsv1) {
  uint8_t head[websocket::kMaxHeaderSize];
  static thread_local std::mt19937 rng{std::random_device{}()};
  uint8_t mask[4];
  for (auto& m : mask) m = static_cast<uint8_t>(rng());
  size_t hl = websocket::EncodeHeader(head, opcode, payload.size(), masked ? mask : nullptr, rsv1);
  if (!fin) head[0] &= 0x7F;
  std::string out(reinterpret_cast<char*>(head), hl);
  out.append(payload);
  if (masked) websocket::Unmask(reinterpret_cast<uint8_t*>(out.data()) + hl, payload.size(), mask);
  return out;
}

bool Client::SendWs(std::string_view payload, uint8_t opcode, bool fin, bool masked, bool rsv1) {
  return WriteAll(WsFrame(payload, opcode, fin, masked, rsv1));
}

bool Client::SendRaw(std::string_view bytes) {
  if (t_ == Transport::kWs) return SendWs(bytes);
  return WriteAll(bytes);
}

bool Client::Send(int32_t op, int32_t seq, std::string_view body, int32_t ver) {
  std::string f;
  protocol::AppendFrame(&f, ver, op, seq, body);
  return SendRaw(f);
}

bool Client::Fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(left.count()));
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  in_.append(buf, static_cast<size_t>(n));
  return true;
}

bool Client::Parse() {
  // A run of goim frames (TCP stream content, a WebSocket message, or an OpRaw body); an OpRaw is
  // unwrapped, its body inflated first when its ver says it is compressed.
  std::function<size_t(std::string_view)> take_frames = [&](std::string_view s) {
    size_t at = 0;
    while (at + 16 <= s.size()) {
      protocol::Frame f;
      size_t used = 0;
      if (protocol::DecodeFrame({reinterpret_cast<const uint8_t*>(s.data()) + at, s.size() - at},
                                &f, &used, 1 << 30) != protocol::Error::kOk)
        break;
      at += used;
      if (f.op != protocol::kOpRaw) {
        frames_.push_back({f.ver, f.op, f.seq, std::move(f.body)});
        continue;
      }
      if (f.ver == protocol::kVerZlib || f.ver == protocol::kVerBrotli) {
        std::string inner;
        auto st = compress::Decompress(
            f.ver == protocol::kVerZlib ? compress::Codec::kZlib : compress::Codec::kBrotli,
            {reinterpret_cast<const uint8_t*>(f.body.data()), f.body.size()}, 1 << 30, &inner);
        if (st != compress::Status::kOk) continue;  // dropped: the test sees frames missing
        ++compressed_frames_;
        take_frames(inner);
      } else {
        take_frames(f.body);
      }
    }
    return at;
  };
  if (t_ == Transport::kTcp) {
    size_t before = frames_.size();
    size_t used = take_frames(in_);
    in_.erase(0, used);
    return frames_.size() > before;
  }
  bool any = false;
  for (;;) {
    websocket::FrameHeader h;
    auto fe = websocket::ParseHeader({reinterpret_cast<const uint8_t*>(in_.data()), in_.size()},
                                     false, 1ull << 30, &h, deflate_);
    if (fe != websocket::FrameError::kOk) return any;
    size_t total = h.header_len + static_cast<size_t>(h.payload_len);
    if (in_.size() < total) return any;
    std::string payload = in_.substr(h.header_len, static_cast<size_t>(h.payload_len));
    in_.erase(0, total);
    if (h.opcode == websocket::kClose) {
      closed_ = true;
      return any;
    }
    if (h.opcode != websocket::kBinary && h.opcode != websocket::kText) continue;
    ++ws_messages_;
    if (h.rsv1) {
      std::string inflated;
      if (compress::Decompress(compress::Codec::kDeflateRaw,
                               {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()},
                               1 << 30, &inflated) != compress::Status::kOk)
        continue;  // dropped: the test sees frames missing
      ++compressed_messages_;
      payload = std::move(inflated);
    }
    if (payload.size() < 16) continue;
    protocol::Header outer =
        protocol::DecodeHeader(reinterpret_cast<const uint8_t*>(payload.data()));
    last_ws_op_ = outer.op;
    take_frames(payload);
    any = true;
  }
}

std::optional<Frame> Client::Read(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (frames_.empty()) {
    if (Parse() && !frames_.empty()) break;
    if (!Fill(deadline)) {
      Parse();
      if (frames_.empty()) return std::nullopt;
    }
  }
  Frame f = std::move(frames_.front());
  frames_.pop_front();
  return f;
}

std::optional<Frame> Client::ReadOp(int32_t op, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::deque<Frame> others;
  std::optional<Frame> found;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto f = Read(left);
    if (!f) break;
    if (f->op == op) {
      found = std::move(f);
      break;
    }
    others.push_back(std::move(*f));
  }
  for (auto it = others.rbegin(); it != others.rend(); ++it) frames_.push_front(std::move(*it));
  return found;
}

bool Client::Auth(const std::string& token, std::chrono::milliseconds timeout, int32_t seq) {
  if (!Send(protocol::kOpAuth, seq, token)) return false;
  auto f = ReadOp(protocol::kOpAuthReply, timeout);
  return f && f->seq == seq && f->body.empty();
}

std::optional<int32_t> Client::Heartbeat(int32_t seq, std::chrono::milliseconds timeout) {
  if (!Send(protocol::kOpHeartbeat, seq, "")) return std::nullopt;
  auto f = ReadOp(protocol::kOpHeartbeatReply, timeout);
  if (!f || f->body.size() != 4) return std::nullopt;
  return protocol::LoadI32(reinterpret_cast<const uint8_t*>(f->body.data()));
}

bool Client::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    if (!Fill(deadline) && !closed_) return false;
  }
  return true;
}

void Client::StopReading() {
  int small = 4096;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
}

}  // namespace goim::testing
