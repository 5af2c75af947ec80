-- wrk script for scripts/bench.sh push: POSTs the URL given to wrk (a /goim/push/... endpoint),
-- counts replies that are not {"code":0,...}, and prints one RESULT line: p50/p99 latency (ms),
-- pushes/s, requests, socket errors and non-zero replies.
wrk.method = "POST"
wrk.body = "bench push"
not_ok = 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"code":0', 1, true) then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT p50_ms=%.2f p99_ms=%.2f pushes_per_s=%.0f requests=%d socket_errors=%d not_ok=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    e.connect + e.read + e.write + e.timeout, bad))
end
