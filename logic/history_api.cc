// GET /goim/history/room?type=live&room=1000[&limit=50][&offset=X[&epoch=E]] (goim-cpp, README
// "History"): a room's recent messages for backends, in goim's envelope:
//   {"code":0,"message":"","data":{"epoch":"E","offset":N,"recovered":true,"first":F,
//    "messages":[{"offset":1,"op":1000,"body":"..."}]}}
// offset (data): the room's newest offset, where a reader now is; first: the oldest offset still
// retained (0: none); messages ascending and contiguous, ending at offset. Without offset
// (request) the newest `limit`; with it the messages after it within epoch (default the room's
// current one), recovered false when some of them are gone or more than `limit` follow. limit
// defaults to history.maxRequest and is capped by it. A body that is not UTF-8 is sent as base64
// with "encoding":"base64" on that message (JSON strings carry text only). Guarded by
// httpServer.apiKey as the push API is. Bad parameters: 400, code -400; a failed store: -500.
#include <nlohmann/json.hpp>

#include "logic/http_params.h"
#include "pkg/hash/base64.h"
#include "pkg/json/json.h"

namespace goim::logic {

namespace {
json::Json Messages(std::vector<history::Message>& messages) {
  json::Json out = json::Json::array();
  for (history::Message& m : messages) {
    json::Json j = {{"offset", m.offset}, {"op", m.op}};
    if (json::ValidUtf8(m.body) == m.body) {
      j["body"] = std::move(m.body);
    } else {
      j["body"] = hash::Base64Encode(m.body);
      j["encoding"] = "base64";
    }
    out.push_back(std::move(j));
  }
  return out;
}
}  // namespace

void HttpApi::History(const net::HttpRequest& req, net::HttpReply reply) {
  if (!Authorized(req, req.query, reply)) return;
  Params p(req.query);
  auto bad = [&](const std::string& msg) {
    BadRequests()->Inc();
    reply(Reply(kRequestErr, msg, 400));
  };
  if (!p.bad().empty()) return bad("malformed query parameter '" + p.bad() + "'");
  std::string type, room, err;
  if (!p.String("type", &type, &err) || !p.String("room", &room, &err)) return bad(err);
  int64_t limit = core_.config().history.maxRequest;
  if (const std::string* v = p.First("limit"); v && !v->empty()) {
    if (!Params::ParseInt(*v, &limit)) return bad("limit: '" + *v + "' is not a valid int64");
    if (limit < 0) return bad("limit: must be >= 0");
  }
  bool has_after = false;
  int64_t after = 0;
  if (const std::string* v = p.First("offset"); v && !v->empty()) {
    if (!Params::ParseInt(*v, &after)) return bad("offset: '" + *v + "' is not a valid int64");
    if (after < 0) return bad("offset: must be >= 0");
    has_after = true;
  }
  const std::string* epoch = p.First("epoch");
  HistoryReader* h = core_.history();
  if (!h) return reply(Reply(kServerErr, "history: not enabled (history.enabled)"));
  h->ForBackend(type + "://" + room, limit, has_after, after, epoch ? *epoch : "",
                [reply](Result r, history::ReadReply read) {
                  if (!r.ok()) return reply(Reply(r.code, r.message));
                  reply(Data({{"epoch", read.epoch},
                              {"offset", read.newest},
                              {"recovered", read.recovered},
                              {"first", read.first_retained},
                              {"messages", Messages(read.messages)}}));
                });
}

}  // namespace goim::logic
