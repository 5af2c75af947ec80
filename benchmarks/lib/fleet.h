// bench::Fleet: many goim client connections on a few event loops (Asio): dial (TCP or
// WebSocket), auth with goim's JSON token, heartbeat, read frames (OpRaw unwrapped; compressed
// batches and permessage-deflate messages inflated when asked for) and hand each to a callback.
// For the load tools; built to be cheap (no per-frame logging).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace goim::bench {

struct FleetOptions {
  std::string addr;  // comet host:port (TCP or WebSocket port)
  bool websocket = false;
  int64_t mid_begin = 1;
  int count = 1;
  std::string room = "test://1";
  std::function<std::string(int)> room_of;  // when set: the room of connection i (overrides room)
  std::string accepts = "[1000,1001,1002]";
  std::string platform = "ios";
  // Source addresses to bind, connection i takes local_ips[i % size] (empty: the kernel's
  // choice). The kernel's search for a free ephemeral port grows with the connections already
  // open from one address to one destination: past ~10,000 it dominates the dialing thread
  // (__inet_hash_connect), and past ~28,000 the range runs out.
  std::vector<std::string> local_ips;
  std::chrono::milliseconds ramp{0};  // each connection dials after a random delay in [0, ramp)
  std::chrono::milliseconds heartbeat{240000};
  bool reconnect = true;  // on error, dial again after a random 0-10 s (goim's client)
  int threads = 1;
  // goim-cpp's compression: "zlib" or "brotli" (the auth token asks for batches of that codec),
  // "deflate-ws" (the WebSocket upgrade offers permessage-deflate), "" for none.
  std::string compress;
  // goim-cpp's room history: the auth token asks for the room's last `history` messages (-1: not).
  int history = -1;
};

class Fleet {
 public:
  // Called on a fleet thread for every received frame (inner frames of an OpRaw one by one).
  using OnFrame = std::function<void(int conn, int32_t op, std::string_view body)>;

  Fleet(FleetOptions opts, OnFrame on_frame);
  ~Fleet();
  void Start();
  void Stop();

  int64_t alive() const { return alive_.load(); }  // authenticated connections now
  int64_t failures() const { return failures_.load(); }
  int64_t received() const { return received_.load(); }  // frames other than 3 and 8
  int64_t bytes() const { return bytes_.load(); }        // bytes read off the sockets

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int64_t> alive_{0}, failures_{0}, received_{0}, bytes_{0};
};

// The fan-out harness's push body: "<seq> <nanoseconds> ..." or its JSON danmaku form
// {"seq":<seq>,"ts":<nanoseconds>,...} (benchmarks/lib/payload.h).
bool ParseStamp(std::string_view body, int64_t* seq, int64_t* ns);

}  // namespace goim::bench
