-- bench/replay.lua - wrk script that replays pre-signed requests (catena-webhook-sim prepare)
-- and reports the figures bench/run.sh tabulates.
--
--   REPLAY_FILE=requests.bin REPLAY_OUT=result.json wrk -t1 -c64 -d10s -s bench/replay.lua URL
--
-- Each wrk thread replays its own share of the file (thread k of n takes requests k, k+n, ...),
-- so no request is sent twice while the file lasts. REPLAY_START (1-based, default 1) is where
-- each thread's share begins. REPLAY_DELAY_MS, when set, makes every connection wait that long
-- between its requests (a paced, lower offered load). REPLAY_ONCE=1 stops a thread once every
-- request of its share has been answered; wrk itself still waits for its -d or a SIGINT.
-- Statuses are counted per code; the summary goes to REPLAY_OUT as one JSON object.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("REPLAY_FILE")
  local f = assert(io.open(path, "rb"), "REPLAY_FILE not readable: " .. tostring(path))
  local data = f:read("*a")
  f:close()
  local all, pos = {}, 1
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    if not nl then break end
    local len = tonumber(string.sub(data, pos, nl - 1))
    table.insert(all, string.sub(data, nl + 1, nl + len))
    pos = nl + 1 + len
  end
  local total = tonumber(os.getenv("REPLAY_THREADS") or "1")
  requests = {}
  for i = index + 1, #all, total do
    table.insert(requests, all[i])
  end
  next_request = math.min(tonumber(os.getenv("REPLAY_START") or "1"), #requests)
  replayed_past_end = 0
  once = os.getenv("REPLAY_ONCE") == "1"
  answered = 0
  statuses = {}
  pace = tonumber(os.getenv("REPLAY_DELAY_MS") or "0")
end

function request()
  local r = requests[next_request]
  next_request = next_request + 1
  -- With REPLAY_ONCE, requests past the end repeat the first ones but are never needed:
  -- the thread stops when the last answer arrives.
  if next_request > #requests then
    next_request = 1
    replayed_past_end = replayed_past_end + 1
  end
  return r
end

if (tonumber(os.getenv("REPLAY_DELAY_MS") or "0")) > 0 then
  function delay()
    return pace
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if once and answered >= #requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local by_status, wrapped = {}, 0
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do
      by_status[code] = (by_status[code] or 0) + n
    end
    wrapped = wrapped + t:get("replayed_past_end")
  end
  local parts = {}
  for code, n in pairs(by_status) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local out = string.format(
    '{"requests": %d, "seconds": %.3f, "per_s": %.1f, "by_status": {%s}, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "p999": %.3f, "max": %.3f, "mean": %.3f}, ' ..
    '"file_wrapped": %d}\n',
    summary.requests, seconds, summary.requests / seconds, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency:percentile(99.9) / 1e3, latency.max / 1e3, latency.mean / 1e3, wrapped)
  local path = os.getenv("REPLAY_OUT")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(out)
    f:close()
  else
    io.write(out)
  end
end
