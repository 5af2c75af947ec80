#include "benchmarks/fanout/push.h"

#include <grpcpp/create_channel.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/comet.grpc.pb.h"
#include "benchmarks/fanout/worker.h"
#include "benchmarks/lib/payload.h"
#include "pkg/net/http_client.h"
#include "pkg/protocol/frame.h"

namespace goim::bench {

int64_t Push(const Options& o, std::atomic<int64_t>* accepted, int64_t seqs) {
  const double total_rate = o.rate * o.rooms;
  const int64_t start = NowNs();
  std::atomic<int64_t> next{0}, refused{0};
  std::vector<std::thread> threads;
  // Outlives the threads below, which hold it by reference.
  std::unique_ptr<goim::comet::Comet::Stub> stub;
  if (o.grpc.empty()) {
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        net::HttpClient http(o.logic);
        for (int64_t i; (i = next++) < seqs;) {
          int64_t due = start + static_cast<int64_t>(static_cast<double>(i) / total_rate * 1e9);
          int64_t now = NowNs();
          if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
          auto r = http.Post("/goim/push/room?operation=1000&type=" + o.room_type +
                                 "&room=" + std::to_string(i % o.rooms),
                             Body(i, NowNs(), o.body, o.json_payload));
          bool ok = r.status == 200 && r.body.find("\"code\":0") != std::string::npos;
          accepted[i] = ok ? NowNs() : -1;
          if (!ok) ++refused;
        }
      });
    }
  } else {
    // Straight to the comet: one BroadcastRoom per `batch` frames of one room, as job would send.
    stub = goim::comet::Comet::NewStub(
        grpc::CreateChannel(o.grpc, grpc::InsecureChannelCredentials()));
    const int64_t per_room = seqs / o.rooms, calls_per_room = (per_room + o.batch - 1) / o.batch;
    const int64_t calls = calls_per_room * o.rooms;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&] {
        for (int64_t c; (c = next++) < calls;) {
          int64_t room = c % o.rooms, j = c / o.rooms;
          // The call goes out when its last frame is due.
          int64_t last = std::min(per_room, (j + 1) * o.batch) - 1;
          int64_t due = start + static_cast<int64_t>(static_cast<double>(last * o.rooms + room) /
                                                     total_rate * 1e9);
          int64_t now = NowNs();
          if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
          goim::comet::BroadcastRoomReq req;
          req.set_roomid(RoomOf(o, room));
          std::string frames;
          std::vector<int64_t> in_call;
          for (int64_t k = j * o.batch; k <= last; ++k) {
            int64_t seq = k * o.rooms + room;
            protocol::AppendFrame(&frames, 1, 1000, 0, Body(seq, NowNs(), o.body, o.json_payload));
            in_call.push_back(seq);
          }
          req.mutable_proto()->set_ver(1);
          req.mutable_proto()->set_op(protocol::kOpRaw);
          req.mutable_proto()->set_body(std::move(frames));
          grpc::ClientContext ctx;
          goim::comet::BroadcastRoomReply reply;
          bool ok = stub->BroadcastRoom(&ctx, req, &reply).ok();
          int64_t at = NowNs();
          for (int64_t seq : in_call) accepted[seq] = ok ? at : -1;
          if (!ok) refused += static_cast<int64_t>(in_call.size());
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  return refused.load();
}

}  // namespace goim::bench
