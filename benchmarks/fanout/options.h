// goim-bench's command line: the mode (fanout, idle, floor) and its options, parsed once.
#pragma once

#include <string>

namespace goim::bench {

inline constexpr int kMaxWorkers = 64;

struct Options {
  std::string mode = "fanout";
  std::string comet = "127.0.0.1:3101";
  bool ws = false;
  int clients = 10000;
  int rooms = 1;
  double rate = 40;
  double duration = 30;
  int body = 32;
  bool json_payload =
      false;             // --payload json: ~body-byte JSON danmaku instead of "<seq> <ns> xx.."
  std::string compress;  // "", zlib, brotli, deflate-ws
  int history = -1;      // --history N: clients opt in to the room's last N messages
  std::string logic = "127.0.0.1:3111";
  std::string grpc;
  int batch = 1;
  int pid = 0;
  std::string metrics;
  int procs = 0;
  std::string room_type = "bench";
  bool json = false;
  double connect_timeout = 180;
  double settle = 2;    // seconds between the last connect and the memory reading
  int threads = 2;      // floor: writer threads (the comet's loops)
  int threshold = 256;  // floor: the comet's compressThreshold / deflateThreshold
  int sndbuf = 65536;   // floor: SO_SNDBUF of each socket (the comet's tcp.sndbuf)
};

[[noreturn]] void Usage(const std::string& why);
Options Parse(int argc, char** argv);

}  // namespace goim::bench
