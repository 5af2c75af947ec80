#include "pkg/history/redis_scripts.h"

#include "pkg/hash/digest.h"

namespace goim::history {

const char* const kAppendScript = R"lua(
local meta, stream = KEYS[1], KEYS[2]
local cap, ttl, rewind, source = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local maxoff = tonumber(ARGV[6])
local n = (#ARGV - 6) / 4

local h = redis.call('HGETALL', meta)
local epoch, nxt, src, last = false, 1, false, {}
for i = 1, #h, 2 do
  local f, v = h[i], h[i + 1]
  if f == 'epoch' then epoch = v
  elseif f == 'next' then nxt = tonumber(v)
  elseif f == 'src' then src = v
  elseif string.sub(f, 1, 2) == 'p:' then last[string.sub(f, 3)] = tonumber(v) end
end

local started, retained = 0, nil

-- A new epoch: the room's history starts over, empty.
local function start(why)
  redis.call('DEL', meta, stream)
  epoch, nxt, src, last, retained, started = ARGV[1], 1, source, {}, {}, why
  redis.call('HSET', meta, 'epoch', epoch, 'src', source)
end

-- No meta, or messages were stored (next > 1) and the stream is gone: continuity is lost.
if (not epoch) or (nxt > 1 and redis.call('EXISTS', stream) == 0) then
  start(1)
elseif src ~= source then
  -- Another queue: its positions say nothing about this one's.
  for k, _ in pairs(last) do redis.call('HDEL', meta, 'p:' .. k) end
  last, src = {}, source
  redis.call('HSET', meta, 'src', source)
end

-- The retained message at a queue position ("partition:offset"): {offset, op, body} or nil.
local function lookup(key)
  if retained == nil then
    retained = {}
    for _, e in ipairs(redis.call('XRANGE', stream, '-', '+')) do
      local f, t = e[2], {}
      for i = 1, #f, 2 do t[f[i]] = f[i + 1] end
      retained[t.p .. ':' .. t.q] = {tonumber(string.match(e[1], '^%d+')), t.o, t.b}
    end
  end
  return retained[key]
end

-- What the batch does, decided before anything is written; nil and why (2, 3 as `started`) when
-- it needs a new epoch: the queue started over (a position that holds another message, or a
-- rewind beyond maxRewind) or the offsets reached maxOffset. adds holds the ARGV index of each
-- message to store; they take the offsets nxt, nxt + 1, ...
local function plan(may_restart)
  local items, adds, pos = {}, {}, {}
  for k, v in pairs(last) do pos[k] = v end
  for i = 0, n - 1 do
    local a = 7 + i * 4
    local p, qs = ARGV[a], ARGV[a + 1]
    local q, l = tonumber(qs), pos[p]
    local status, at = 0, 0
    if (l == nil or q > l) and nxt + #adds > maxoff then
      return nil, 3  -- cannot happen again in a new epoch (maxOffset >= the largest batch)
    elseif l == nil or q > l then
      pos[p] = q
      adds[#adds + 1] = a
      at = nxt + #adds - 1
    else
      local restart = l - q > rewind
      if not restart then
        -- The message at this position: stored earlier in this batch, or retained.
        local e = nil
        for k, b in ipairs(adds) do
          if ARGV[b] == p and ARGV[b + 1] == qs then e = {nxt + k - 1, ARGV[b + 2], ARGV[b + 3]} end
        end
        e = e or lookup(p .. ':' .. qs)
        if e == nil then status = 2
        elseif e[2] == ARGV[a + 2] and e[3] == ARGV[a + 3] then status, at = 1, e[1]
        else restart = true end
      end
      if restart then
        if may_restart then return nil, 2 end
        status = 2
      end
    end
    items[#items + 1] = status
    items[#items + 1] = at
  end
  return items, adds, pos
end

local items, adds, pos = plan(true)
if items == nil then
  start(adds)
  items, adds, pos = plan(false)
end
-- One trim per batch: trimming on each XADD (MAXLEN there) cost three times the whole batch.
for k, a in ipairs(adds) do
  redis.call('XADD', stream, string.format('%d-0', nxt + k - 1),
             'o', ARGV[a + 2], 'b', ARGV[a + 3], 'p', ARGV[a], 'q', ARGV[a + 1])
end
if #adds > 0 then redis.call('XTRIM', stream, 'MAXLEN', cap) end
local fields = {'next', string.format('%d', nxt + #adds)}
for k, v in pairs(pos) do
  fields[#fields + 1] = 'p:' .. k
  fields[#fields + 1] = string.format('%d', v)
end
redis.call('HSET', meta, unpack(fields))
redis.call('PEXPIRE', meta, ttl)
redis.call('PEXPIRE', stream, ttl)
return {epoch, started, items}
)lua";

const char* const kEnsureScript = R"lua(
local meta, stream = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'epoch')
if epoch then
  local nxt = tonumber(redis.call('HGET', meta, 'next') or '1')
  if nxt > 1 and redis.call('EXISTS', stream) == 0 then epoch = false end
end
if epoch then return {epoch, 0} end
redis.call('DEL', meta, stream)
redis.call('HSET', meta, 'epoch', ARGV[1], 'next', '1')
redis.call('PEXPIRE', meta, ARGV[2])
return {ARGV[1], 1}
)lua";

std::string ScriptSha(const char* script) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : hash::Sha1(script)) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace goim::history
