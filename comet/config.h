// comet::Config: configs/comet.yaml. Keys and defaults follow goim's comet (conf.Default() and
// comet-example.toml) where goim has them; additions are marked in the YAML file.
#pragma once

#include <string>
#include <vector>

#include "pkg/conf/conf.h"
#include "pkg/conf/env.h"
#include "pkg/discovery/discovery.h"

namespace goim::comet {

struct Config {
  conf::Env env;
  discovery::Config discovery;  // etcd: register goim.comet, follow the routers (session replay)
  conf::AddrSection rpcServer{":3109"};
  struct RpcClient {  // to logic
    std::vector<std::string> logic{"127.0.0.1:3119"};
    conf::Duration timeout = std::chrono::seconds(3);
    int32_t maxInflight = 256;
    void Bind(conf::Binder& b) {
      b.Field("logic", logic);
      b.Field("timeout", timeout);
      b.Field("maxInflight", maxInflight);
    }
  } rpcClient;
  struct Tcp {
    std::vector<std::string> bind{":3101"};
    int32_t sndbuf = 65536;  // goim: 4096 (see configs/comet.yaml)
    int32_t rcvbuf = 4096;
    bool keepalive = false;
    int32_t readBufSize = 8192;
    void Bind(conf::Binder& b) {
      b.Field("bind", bind);
      b.Field("sndbuf", sndbuf);
      b.Field("rcvbuf", rcvbuf);
      b.Field("keepalive", keepalive);
      b.Field("readBufSize", readBufSize);
    }
  } tcp;
  struct Websocket {
    std::vector<std::string> bind{":3102"};
    bool tlsOpen = false;
    std::vector<std::string> tlsBind{":3103"};
    std::string certFile;
    std::string privateFile;
    int32_t maxMessageSize = 4112;  // one goim frame
    // Browser origins allowed to open a WebSocket ("https://example.com", "https://*.example.com");
    // empty = any, as goim. A request without Origin (not a browser) is always let through.
    std::vector<std::string> allowedOrigins;
    // permessage-deflate (RFC 7692), goim-cpp's addition: see configs/comet.yaml.
    bool deflate = true;
    int32_t deflateThreshold = 256;  // messages shorter than this go uncompressed
    int32_t maxInflatedSize = 4112;  // a compressed client message inflating past this: Close 1009
    void Bind(conf::Binder& b) {
      b.Field("bind", bind);
      b.Field("tlsOpen", tlsOpen);
      b.Field("tlsBind", tlsBind);
      b.Field("certFile", certFile);
      b.Field("privateFile", privateFile);
      b.Field("maxMessageSize", maxMessageSize);
      b.Field("allowedOrigins", allowedOrigins);
      b.Field("deflate", deflate);
      b.Field("deflateThreshold", deflateThreshold);
      b.Field("maxInflatedSize", maxInflatedSize);
    }
  } websocket;
  struct Protocol {
    int32_t loops = 0;  // event loops; 0 = one per core
    conf::Duration handshakeTimeout = std::chrono::seconds(8);
    int32_t svrProto = 10;
    int32_t cliProto = 5;
    int32_t maxPreAuthFrames = 4;
    conf::Duration logicHeartbeatMin = std::chrono::minutes(10);
    conf::Duration logicHeartbeatMax = std::chrono::minutes(30);
    int32_t slowBytes = 65536;
    conf::Duration slowTime = std::chrono::seconds(10);
    int32_t writeBatch = 64;
    int32_t maxWatchOps = 256;        // goim: no cap (see configs/comet.yaml)
    int32_t compressThreshold = 256;  // auth "compress": smaller pushes go uncompressed
    int32_t historyHold = 1024;       // pushes held while a connection is positioned in history
    void Bind(conf::Binder& b) {
      b.Field("loops", loops);
      b.Field("handshakeTimeout", handshakeTimeout);
      b.Field("svrProto", svrProto);
      b.Field("cliProto", cliProto);
      b.Field("maxPreAuthFrames", maxPreAuthFrames);
      b.Field("logicHeartbeatMin", logicHeartbeatMin);
      b.Field("logicHeartbeatMax", logicHeartbeatMax);
      b.Field("slowBytes", slowBytes);
      b.Field("slowTime", slowTime);
      b.Field("writeBatch", writeBatch);
      b.Field("maxWatchOps", maxWatchOps);
      b.Field("compressThreshold", compressThreshold);
      b.Field("historyHold", historyHold);
    }
  } protocol;
  struct Bucket {
    int32_t size = 32;
    int32_t channel = 1024;
    void Bind(conf::Binder& b) {
      b.Field("size", size);
      b.Field("channel", channel);
    }
  } bucket;
  struct Online {
    conf::Duration interval = std::chrono::seconds(10);
    void Bind(conf::Binder& b) { b.Field("interval", interval); }
  } online;
  conf::AddrSection metrics{":3108"};

  void Bind(conf::Binder& b) {
    b.Section("env", env);
    b.Section("discovery", discovery);
    b.Section("rpcServer", rpcServer);
    b.Section("rpcClient", rpcClient);
    b.Section("tcp", tcp);
    b.Section("websocket", websocket);
    b.Section("protocol", protocol);
    b.Section("bucket", bucket);
    b.Section("online", online);
    b.Section("metrics", metrics);
  }
  std::string Validate() const;
};

}  // namespace goim::comet
