#include "pkg/history/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include "pkg/history/metrics.h"
#include "pkg/history/redis_scripts.h"
#include "pkg/history/shape.h"

namespace goim::history {

namespace {

RedisPool::Options PoolOptions(const Config& cfg) {
  RedisPool::Options o;
  SplitAddr(cfg.redis.addr, &o.host, &o.port);  // validated by Config::Validate
  o.password = cfg.redis.password;
  o.db = cfg.redis.db;
  o.size = cfg.redis.pool;
  o.connect_timeout = cfg.redis.connectTimeout;
  o.timeout = cfg.redis.timeout;
  o.retry_interval = cfg.redis.retryInterval;
  return o;
}

bool IsType(const redisReply* r, int type) { return r != nullptr && r->type == type; }

std::string_view Text(const redisReply* r) { return std::string_view(r->str, r->len); }

// The leading integer of a text ("17-0" -> 17); 0 when there is none.
int64_t LeadingInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// One stream entry [id, [field, value, ...]] as a message.
bool ParseEntry(const redisReply* e, Message* m) {
  if (!IsType(e, REDIS_REPLY_ARRAY) || e->elements != 2 ||
      !IsType(e->element[0], REDIS_REPLY_STRING) || !IsType(e->element[1], REDIS_REPLY_ARRAY))
    return false;
  m->offset = LeadingInt(Text(e->element[0]));
  const redisReply* f = e->element[1];
  bool op = false, body = false;
  for (size_t i = 0; i + 1 < f->elements; i += 2) {
    if (!IsType(f->element[i], REDIS_REPLY_STRING) ||
        !IsType(f->element[i + 1], REDIS_REPLY_STRING))
      return false;
    std::string_view name = Text(f->element[i]);
    std::string_view value = Text(f->element[i + 1]);
    if (name == "o") {
      m->op = static_cast<int32_t>(LeadingInt(value));
      op = true;
    } else if (name == "b") {
      m->body.assign(value);
      body = true;
    }
  }
  return op && body && m->offset > 0;
}

}  // namespace

RedisStore::RedisStore(const Config& cfg)
    : Store(cfg),
      pool_(PoolOptions(cfg)),
      append_{kAppendScript, ScriptSha(kAppendScript)},
      ensure_{kEnsureScript, ScriptSha(kEnsureScript)},
      ttl_ms_(
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.ttl).count())) {}

std::string RedisStore::MetaKey(std::string_view room) const {
  return cfg_.redis.keyPrefix + "{r:" + std::string(room) + "}:m";
}

std::string RedisStore::StreamKey(std::string_view room) const {
  return cfg_.redis.keyPrefix + "{r:" + std::string(room) + "}:s";
}

std::string RedisStore::Check() {
  std::string error;
  RedisReply r = pool_.Run({"PING"}, &error);
  if (!r) return error;
  if (IsType(r.get(), REDIS_REPLY_ERROR)) return "PING: " + ReplyText(r.get());
  r = pool_.Run({"INFO", "server"}, &error);
  if (!r) return error;
  if (!IsType(r.get(), REDIS_REPLY_STRING)) return "INFO: " + ReplyText(r.get());
  std::string_view text = Text(r.get());
  size_t at = text.find("redis_version:");
  if (at == std::string_view::npos) return "INFO: no redis_version";
  std::string_view version = text.substr(at + 14);
  version = version.substr(0, version.find_first_of("\r\n"));
  int major = static_cast<int>(LeadingInt(version));
  size_t dot = version.find('.');
  int minor =
      dot == std::string_view::npos ? 0 : static_cast<int>(LeadingInt(version.substr(dot + 1)));
  if (major < 6 || (major == 6 && minor < 2))
    return "version " + std::string(version) + " (6.2 or later needed)";
  for (const Script* s : {&append_, &ensure_}) {
    if (std::string why = Load(*s); !why.empty()) return why;
  }
  return "";
}

std::string RedisStore::Load(const Script& s) {
  Metrics::Get().redis_script_loads->Inc();
  std::string error;
  RedisReply r = pool_.Run({"SCRIPT", "LOAD", s.text}, &error);
  if (!r) return error;
  if (!IsType(r.get(), REDIS_REPLY_STRING)) return "SCRIPT LOAD: " + ReplyText(r.get());
  if (Text(r.get()) != s.sha) return "SCRIPT LOAD: unexpected sha " + ReplyText(r.get());
  return "";
}

RedisReply RedisStore::Eval(const Script& s, const RedisPool::Command& argv, std::string* error) {
  for (int attempt = 0;; ++attempt) {
    RedisReply r = pool_.Run(argv, error);
    if (!r) return nullptr;
    if (!IsType(r.get(), REDIS_REPLY_ERROR)) return r;
    if (attempt == 0 && Text(r.get()).starts_with("NOSCRIPT")) {
      if (std::string why = Load(s); !why.empty()) {
        *error = why;
        return nullptr;
      }
      continue;
    }
    *error = ReplyText(r.get());
    return nullptr;
  }
}

AppendReply RedisStore::Write(std::string_view room, std::string_view source,
                              std::span<const Input> msgs) {
  AppendReply out;
  const std::string meta = MetaKey(room), stream = StreamKey(room), epoch = NewEpoch();
  // Numbers as text; reserved up front so the views taken below stay valid.
  std::vector<std::string> text;
  text.reserve(3 + 3 * msgs.size());
  text.push_back(std::to_string(cfg_.perRoom));
  text.push_back(std::to_string(cfg_.maxRewind));
  text.push_back(std::to_string(cfg_.maxOffset));
  std::vector<std::string_view> argv{"EVALSHA", append_.sha, "2",     meta,   stream, epoch,
                                     text[0],   ttl_ms_,     text[1], source, text[2]};
  argv.reserve(argv.size() + 4 * msgs.size());
  for (const Input& m : msgs) {
    for (int64_t v : {int64_t{m.pos.partition}, m.pos.offset, int64_t{m.op}}) {
      text.push_back(std::to_string(v));
      argv.push_back(text.back());
    }
    argv.push_back(m.body);
  }
  RedisReply r = Eval(append_, argv, &out.error);
  if (!r) return out;
  const redisReply* x = r.get();
  if (!IsType(x, REDIS_REPLY_ARRAY) || x->elements != 3 ||
      !IsType(x->element[0], REDIS_REPLY_STRING) || !IsType(x->element[1], REDIS_REPLY_INTEGER) ||
      !IsType(x->element[2], REDIS_REPLY_ARRAY) || x->element[2]->elements != 2 * msgs.size()) {
    out.error = "unexpected reply to the append script";
    return out;
  }
  out.epoch.assign(Text(x->element[0]));
  const long long started = x->element[1]->integer;
  out.new_epoch = started != 0;
  if (started == 1) Metrics::Get().epochs_new->Inc();
  if (started == 2) Metrics::Get().epochs_queue_restarted->Inc();
  if (started == 3) Metrics::Get().epochs_offset_limit->Inc();
  const redisReply* items = x->element[2];
  out.items.reserve(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    const redisReply* status = items->element[2 * i];
    const redisReply* offset = items->element[2 * i + 1];
    if (!IsType(status, REDIS_REPLY_INTEGER) || !IsType(offset, REDIS_REPLY_INTEGER) ||
        status->integer < 0 || status->integer > 2) {
      out.error = "unexpected item in the append script's reply";
      out.items.clear();
      return out;
    }
    out.items.push_back({static_cast<AppendStatus>(status->integer), offset->integer});
  }
  return out;
}

ReadReply RedisStore::Fetch(std::string_view room, const Query& q) {
  ReadReply out;
  const std::string meta = MetaKey(room), stream = StreamKey(room);
  const std::string limit = std::to_string(q.limit);
  // Optimistic: a reader that names a position is taken to be inside the room's epoch, so only
  // what follows its position is fetched; when the room says otherwise, once more from the top.
  bool floored = !q.last && q.after > 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string floor = floored ? "(" + std::to_string(q.after) + "-0" : "-";
    std::vector<RedisPool::Command> cmds{
        {"MULTI"}, {"HMGET", meta, "epoch", "next"}, {"XRANGE", stream, "-", "+", "COUNT", "1"}};
    if (q.limit > 0) cmds.push_back({"XREVRANGE", stream, "+", floor, "COUNT", limit});
    cmds.push_back({"EXEC"});
    std::vector<RedisReply> replies;
    if (!pool_.Pipeline(cmds, &replies, &out.error)) return out;
    const redisReply* x = replies.back().get();
    const size_t results = cmds.size() - 2;
    if (!IsType(x, REDIS_REPLY_ARRAY) || x->elements != results ||
        !IsType(x->element[0], REDIS_REPLY_ARRAY) || x->element[0]->elements != 2 ||
        !IsType(x->element[1], REDIS_REPLY_ARRAY) ||
        (q.limit > 0 && !IsType(x->element[2], REDIS_REPLY_ARRAY))) {
      out.error = "unexpected reply to the read: " + ReplyText(x);
      return out;
    }
    const redisReply* epoch = x->element[0]->element[0];
    const redisReply* next = x->element[0]->element[1];
    const redisReply* first = x->element[1];
    int64_t first_retained = 0;
    if (first->elements == 1 && IsType(first->element[0], REDIS_REPLY_ARRAY) &&
        first->element[0]->elements == 2 &&
        IsType(first->element[0]->element[0], REDIS_REPLY_STRING))
      first_retained = LeadingInt(Text(first->element[0]->element[0]));
    const int64_t newest = IsType(next, REDIS_REPLY_STRING) ? LeadingInt(Text(next)) - 1 : 0;
    if (!IsType(epoch, REDIS_REPLY_STRING) || (newest > 0 && first_retained == 0)) {
      // No history, or a meta whose stream is gone: the script makes the epoch (once).
      const std::string fresh = NewEpoch();
      RedisReply e =
          Eval(ensure_, {"EVALSHA", ensure_.sha, "2", meta, stream, fresh, ttl_ms_}, &out.error);
      if (!e) return out;
      if (!IsType(e.get(), REDIS_REPLY_ARRAY) || e->elements != 2 ||
          !IsType(e->element[0], REDIS_REPLY_STRING) ||
          !IsType(e->element[1], REDIS_REPLY_INTEGER)) {
        out.error = "unexpected reply to the epoch script";
        return out;
      }
      if (e->element[1]->integer == 0) continue;  // another caller made it meanwhile: read it
      Metrics::Get().epochs_new->Inc();
      View v;
      v.epoch.assign(Text(e->element[0]));
      return Shape(q, std::move(v));
    }
    View v;
    v.epoch.assign(Text(epoch));
    v.newest = newest;
    v.first_retained = first_retained;
    if (floored && FetchFloor(q, v.epoch, v.newest) != q.after) {
      floored = false;
      continue;
    }
    if (q.limit > 0) {
      const redisReply* tail = x->element[2];
      v.tail.resize(tail->elements);
      for (size_t i = 0; i < tail->elements; ++i) {  // newest first in the reply
        if (!ParseEntry(tail->element[i], &v.tail[tail->elements - 1 - i])) {
          out.error = "unexpected stream entry in the read";
          return out;
        }
      }
    }
    return Shape(q, std::move(v));
  }
  out.error = "the room changed under three reads in a row";
  return out;
}

}  // namespace goim::history
