#include "benchmarks/lib/payload.h"

#include <random>
#include <string_view>

#include "pkg/compress/compress.h"
#include "pkg/protocol/frame.h"
#include "pkg/websocket/frame.h"

namespace goim::bench {

namespace {

// Comments as they fill a live room: short, repeated, mixed scripts.
constexpr std::string_view kPhrases[] = {
    "666",      "哈哈哈哈", "前方高能", "awsl",       "打卡",     "好耶",     "来了来了",
    "2333",     "yyds",     "主播加油", "这也太强了", "泪目",     "下次一定", "草",
    "妙啊",     "名场面",   "？？？",   "nb",         "稳了",     "冲冲冲",   "别走",
    "绝了",     "笑死",     "破防了",   "爷青回",     "上车",     "晚上好",   "第一",
    "kksk",     "gg",       "wow",      "nice",       "lol",      "hello",    "好听",
    "高能预警", "弹幕护体", "欢迎回来", "太可爱了",   "good game"};
constexpr std::string_view kNameHeads[] = {"小", "大", "夜", "星",   "猫",   "风",    "云",
                                           "鱼", "橘", "白", "blue", "dark", "lucky", "mr_"};
constexpr std::string_view kNameTails[] = {"酱", "君", "子",  "桑",  "喵",   "草",
                                           "糖", "兔", "fox", "cat", "_qwq", "233"};

template <size_t N>
std::string_view Pick(std::mt19937& rng, const std::string_view (&from)[N]) {
  return from[rng() % N];
}

std::string JsonDanmaku(int64_t seq, int64_t now_ns, int size) {
  std::mt19937 rng(static_cast<uint32_t>(seq * 2654435761u));
  std::string uname(Pick(rng, kNameHeads));
  uname += Pick(rng, kNameTails);
  if (rng() % 2) uname += std::to_string(rng() % 10000);
  std::string head = "{\"seq\":" + std::to_string(seq) + ",\"ts\":" + std::to_string(now_ns) +
                     ",\"cmd\":\"DANMU_MSG\",\"mid\":" + std::to_string(10000 + rng() % 400000000) +
                     ",\"uname\":\"" + uname + "\",\"text\":\"";
  std::string text(Pick(rng, kPhrases));
  for (;;) {  // more phrases while they fit, then '~' up to the size
    std::string_view next = Pick(rng, kPhrases);
    if (head.size() + text.size() + next.size() + 2 > static_cast<size_t>(size)) break;
    text += next;
  }
  while (head.size() + text.size() + 2 < static_cast<size_t>(size)) text += '~';
  return head + text + "\"}";
}

}  // namespace

std::string Body(int64_t seq, int64_t now_ns, int size, bool json) {
  if (json) return JsonDanmaku(seq, now_ns, size);
  std::string b = std::to_string(seq) + " " + std::to_string(now_ns);
  if (static_cast<int>(b.size()) + 1 < size)
    b += " " + std::string(static_cast<size_t>(size) - b.size() - 1, 'x');
  return b;
}

std::string WireBytes(const std::string& frames, bool ws, const std::string& compress,
                      int threshold) {
  auto raw = [](int32_t ver, const std::string& body) {
    std::string f;
    protocol::AppendFrame(&f, ver, protocol::kOpRaw, 0, body);
    return f;
  };
  auto ws_message = [](const std::string& payload, bool deflated) {
    uint8_t h[websocket::kMaxHeaderSize];
    size_t hl = websocket::EncodeHeader(h, websocket::kBinary, payload.size(), nullptr, deflated);
    return std::string(reinterpret_cast<char*>(h), hl) + payload;
  };
  const bool big = frames.size() >= static_cast<size_t>(threshold);
  if (compress == "zlib" || compress == "brotli") {
    std::string z;
    if (big &&
        compress::Compress(compress == "zlib" ? compress::Codec::kZlib : compress::Codec::kBrotli,
                           frames, &z) &&
        z.size() + protocol::kRawHeaderSize < frames.size()) {
      std::string f = raw(compress == "zlib" ? protocol::kVerZlib : protocol::kVerBrotli, z);
      return ws ? ws_message(f, false) : f;
    }
  }
  if (!ws) return frames;
  std::string message = raw(1, frames);
  std::string z;
  if (compress == "deflate-ws" && message.size() >= static_cast<size_t>(threshold) &&
      compress::Compress(compress::Codec::kDeflateRaw, message, &z) && z.size() < message.size())
    return ws_message(z, true);
  return ws_message(message, false);
}

}  // namespace goim::bench
