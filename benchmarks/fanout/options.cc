#include "benchmarks/fanout/options.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace goim::bench {

void Usage(const std::string& why) {
  std::fprintf(stderr,
               "goim-bench: %s\nusage: goim-bench fanout|idle|floor [--clients N] [--rooms R] "
               "[--rate MSG_PER_S_PER_ROOM]\n"
               "  [--duration S] [--body BYTES] [--payload stamp|json] [--transport tcp|ws]\n"
               "  [--compress none|zlib|brotli|deflate-ws] [--history N] [--comet HOST:PORT]\n"
               "  [--logic HOST:PORT] [--grpc HOST:PORT --batch FRAMES] [--pid COMET_PID] "
               "[--metrics HOST:PORT] "
               "[--procs P] [--json]\n"
               "  floor only: [--threads T] [--threshold BYTES] [--sndbuf BYTES]\n",
               why.c_str());
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  if (argc < 2) Usage("missing mode");
  o.mode = argv[1];
  if (o.mode != "fanout" && o.mode != "idle" && o.mode != "floor") Usage("unknown mode " + o.mode);
  if (o.mode == "idle") o.clients = 19000;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i], v;
    if (k.rfind("--", 0) != 0) Usage("unexpected " + k);
    k = k.substr(2);
    if (size_t eq = k.find('='); eq != std::string::npos) {
      v = k.substr(eq + 1);
      k = k.substr(0, eq);
    } else if (k != "json") {
      if (i + 1 >= argc) Usage("--" + k + " needs a value");
      v = argv[++i];
    }
    try {
      if (k == "clients") {
        o.clients = std::stoi(v);
      } else if (k == "rooms") {
        o.rooms = std::stoi(v);
      } else if (k == "rate") {
        o.rate = std::stod(v);
      } else if (k == "duration") {
        o.duration = std::stod(v);
      } else if (k == "body") {
        o.body = std::stoi(v);
      } else if (k == "payload") {
        if (v != "stamp" && v != "json") Usage("payload is stamp or json");
        o.json_payload = v == "json";
      } else if (k == "transport") {
        if (v != "tcp" && v != "ws") Usage("transport is tcp or ws");
        o.ws = v == "ws";
      } else if (k == "compress") {
        if (v != "none" && v != "zlib" && v != "brotli" && v != "deflate-ws")
          Usage("compress is none, zlib, brotli or deflate-ws");
        o.compress = v == "none" ? "" : v;
      } else if (k == "history") {
        o.history = std::stoi(v);
        if (o.history < 0) Usage("history is >= 0");
      } else if (k == "comet") {
        o.comet = v;
      } else if (k == "logic") {
        o.logic = v;
      } else if (k == "grpc") {
        o.grpc = v;
      } else if (k == "batch") {
        o.batch = std::stoi(v);
      } else if (k == "pid") {
        o.pid = std::stoi(v);
      } else if (k == "metrics") {
        o.metrics = v;
      } else if (k == "procs") {
        o.procs = std::stoi(v);
      } else if (k == "room-type") {
        o.room_type = v;
      } else if (k == "connect-timeout") {
        o.connect_timeout = std::stod(v);
      } else if (k == "settle") {
        o.settle = std::stod(v);
      } else if (k == "threads") {
        o.threads = std::stoi(v);
      } else if (k == "threshold") {
        o.threshold = std::stoi(v);
      } else if (k == "sndbuf") {
        o.sndbuf = std::stoi(v);
      } else if (k == "json") {
        o.json = true;
      } else {
        Usage("unknown option --" + k);
      }
    } catch (const std::exception&) {
      Usage("bad value for --" + k + ": " + v);
    }
  }
  if (o.clients <= 0 || o.rooms <= 0 || o.rate <= 0 || o.duration <= 0 || o.batch <= 0 ||
      o.threads <= 0)
    Usage("values must be > 0");
  if (o.compress == "deflate-ws" && !o.ws) Usage("--compress deflate-ws needs --transport ws");
  if (o.mode == "floor" && o.rooms != 1) Usage("floor writes to one room's sockets (--rooms 1)");
  if (o.procs <= 0) o.procs = (o.clients + 18999) / 19000;
  if (o.procs > kMaxWorkers) Usage("too many client processes");
  return o;
}

}  // namespace goim::bench
