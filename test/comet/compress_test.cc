// Opt-in batch compression (auth "compress"): a push over protocol.compressThreshold reaches the
// connections that asked as one OpRaw frame of version 2 (zlib) or 3 (brotli) whose body inflates
// to the push's frames, the same bytes for every receiver, made once per push per comet; smaller
// pushes and other connections get goim's frames; an unknown value is counted and ignored.
#include <poll.h>
#include <unistd.h>

#include "pkg/compress/compress.h"
#include "pkg/protocol/binary.h"
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

// 20 danmaku of about 100 bytes of JSON each, as job batches them.
std::string Danmaku(int n, int from = 0) {
  std::string frames;
  for (int i = from; i < from + n; ++i) {
    protocol::AppendFrame(&frames, 1, 1000, 0,
                          "{\"cmd\":\"DANMU_MSG\",\"mid\":" + std::to_string(1000 + i * 7919) +
                              ",\"uname\":\"viewer" + std::to_string(i % 13) +
                              "\",\"text\":\"hello goim number " + std::to_string(i) + "\"}");
  }
  return frames;
}

std::string WithCompress(std::string token, const std::string& compress) {
  token.insert(token.size() - 1, ",\"compress\":\"" + compress + "\"");
  return token;
}

class CompressTest : public CometFixture {
 protected:
  std::unique_ptr<Client> Opted(Transport t, int64_t mid, const std::string& room,
                                const std::string& compress) {
    auto c = Dial(t);
    if (c) {
      EXPECT_TRUE(c->Auth(WithCompress(Token(mid, "", room, {1000}), compress))) << compress;
    }
    return c;
  }
  static double Compressed(const char* encoding) {
    return Metric(std::string("goim_comet_push_compressed_total{encoding=\"") + encoding + "\"}");
  }
  // Waits until the comet has the n connections of room in its index (the push then reaches all).
  bool Joined(const std::string& room, int n) {
    return Eventually([&] {
      goim::comet::RoomsReq req;
      goim::comet::RoomsReply reply;
      grpc::ClientContext ctx;
      if (!stub_->Rooms(&ctx, req, &reply).ok()) return false;
      auto it = reply.online().find(room);
      return it != reply.online().end() && it->second == n;
    });
  }
};

// The bytes a TCP client is sent for one push: exactly one frame, read off its socket.
std::string OneFrame(Client& c) {
  std::string in;
  auto until = std::chrono::steady_clock::now() + 5s;
  while (in.size() < 16 || in.size() < static_cast<size_t>(protocol::LoadI32(
                                           reinterpret_cast<const uint8_t*>(in.data())))) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{c.fd(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[65536];
    ssize_t n = ::read(c.fd(), buf, in.size() < 16 ? 16 - in.size() : sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

TEST_F(CompressTest, TcpBatchesArriveAsOneCompressedFrameOfTheirVersion) {
  const std::string frames = Danmaku(20);
  ASSERT_GT(frames.size(), 1800u);
  struct Case {
    const char* compress;
    int32_t ver;
    compress::Codec codec;
  } cases[] = {{"zlib", protocol::kVerZlib, compress::Codec::kZlib},
               {"brotli", protocol::kVerBrotli, compress::Codec::kBrotli}};
  for (const auto& k : cases) {
    const std::string room = std::string("live://tcp-") + k.compress;
    auto a = Opted(Transport::kTcp, 1, room, k.compress);
    auto b = Opted(Transport::kTcp, 2, room, k.compress);
    ASSERT_TRUE(a && b && Joined(room, 2));
    ASSERT_TRUE(Room(room, frames).ok());
    const std::string got = OneFrame(*a);
    EXPECT_EQ(OneFrame(*b), got) << k.compress << ": every receiver gets the same bytes";
    ASSERT_GE(got.size(), 16u);
    protocol::Header h = protocol::DecodeHeader(reinterpret_cast<const uint8_t*>(got.data()));
    EXPECT_EQ(h.op, protocol::kOpRaw);
    EXPECT_EQ(h.ver, k.ver);
    EXPECT_EQ(h.seq, 0);
    EXPECT_EQ(static_cast<size_t>(h.pack_len), got.size());
    std::string inner;
    ASSERT_EQ(compress::Decompress(
                  k.codec, {reinterpret_cast<const uint8_t*>(got.data()) + 16, got.size() - 16},
                  1 << 20, &inner),
              compress::Status::kOk);
    EXPECT_EQ(inner, frames) << k.compress << ": the body inflates to the frames as job sent them";
    EXPECT_LT(got.size() * 3, frames.size()) << k.compress << ": JSON danmaku compress 3x or more";
  }
}

// Under the threshold, and for connections that did not ask, pushes are goim's frames.
TEST_F(CompressTest, SmallPushesAndOtherConnectionsGetGoimFrames) {
  auto z = Opted(Transport::kTcp, 1, "live://mixed", "zlib");
  auto plain = Authed(Transport::kTcp, 2, "", "live://mixed", {1000});
  ASSERT_TRUE(z && plain && Joined("live://mixed", 2));
  const double made = Compressed("zlib");
  const std::string small = Danmaku(1);
  ASSERT_LT(small.size(), 256u);
  ASSERT_TRUE(Room("live://mixed", small).ok());
  ASSERT_TRUE(Room("live://mixed", Danmaku(20, 1)).ok());
  for (Client* c : {z.get(), plain.get()}) {
    for (int i = 0; i < 21; ++i) {
      auto f = c->Read();
      ASSERT_TRUE(f) << i;
      EXPECT_EQ(f->op, 1000);
      EXPECT_NE(f->body.find("hello goim number " + std::to_string(i) + "\""), std::string::npos);
    }
  }
  EXPECT_EQ(z->compressed_frames(), 1) << "only the 20-frame batch was compressed";
  EXPECT_EQ(plain->compressed_frames(), 0);
  EXPECT_EQ(Compressed("zlib"), made + 1);
}

// Many receivers on both loops, three encodings: each push is compressed once per encoding.
TEST_F(CompressTest, EachPushIsCompressedOncePerEncodingWhateverTheReceivers) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(Opted(Transport::kTcp, i, "live://many", i % 2 ? "zlib" : "brotli"));
  }
  // WebSocket with permessage-deflate; the first also asks for zlib, which wins: its batches are
  // zlib frames in uncompressed messages (a compressed frame does not deflate again).
  for (int i = 0; i < 4; ++i) {
    std::string err;
    auto c = Client::Dial(Addr(Transport::kWs), Transport::kWs, &err, "/sub", nullptr,
                          "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    ASSERT_TRUE(c) << err;
    ASSERT_TRUE(c->Auth(i == 0 ? WithCompress(Token(100 + i, "", "live://many", {1000}), "zlib")
                               : Token(100 + i, "", "live://many", {1000})));
    clients.push_back(std::move(c));
  }
  ASSERT_TRUE(Joined("live://many", 12));
  const double zlib = Compressed("zlib"), brotli = Compressed("brotli"),
               ws = Compressed("deflate-ws");
  for (int p = 0; p < 3; ++p) ASSERT_TRUE(Room("live://many", Danmaku(20, p * 20)).ok());
  for (auto& c : clients) {
    for (int i = 0; i < 60; ++i) {
      auto f = c->Read();
      ASSERT_TRUE(f) << i;
      ASSERT_NE(f->body.find("hello goim number " + std::to_string(i) + "\""), std::string::npos);
    }
  }
  EXPECT_EQ(Compressed("zlib"), zlib + 3);
  EXPECT_EQ(Compressed("brotli"), brotli + 3);
  EXPECT_EQ(Compressed("deflate-ws"), ws + 3);
  // The WebSocket connection that asked for zlib got zlib frames in uncompressed messages.
  Client& both = *clients[8];
  EXPECT_EQ(both.compressed_frames(), 3);
  EXPECT_EQ(both.compressed_messages(), 0);
  EXPECT_EQ(clients[9]->compressed_messages(), 3);
  EXPECT_EQ(clients[9]->compressed_frames(), 0);
}

TEST_F(CompressTest, AnUnknownValueIsCountedAndTheConnectionWorksUncompressed) {
  const double unknown = Metric("goim_comet_compress_unknown_total");
  auto c = Opted(Transport::kTcp, 1, "live://unknown", "lz4");
  ASSERT_TRUE(c && Joined("live://unknown", 1));
  EXPECT_EQ(Metric("goim_comet_compress_unknown_total"), unknown + 1);
  ASSERT_TRUE(Room("live://unknown", Danmaku(20)).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Read()) << i;
  EXPECT_EQ(c->compressed_frames(), 0);
  EXPECT_TRUE(c->Heartbeat());
}

}  // namespace
}  // namespace goim::testing
