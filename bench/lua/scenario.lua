-- One wrk script for every scenario; bench/load.py sets these environment variables:
--   BENCH_PATHS   file with one request path per line (rotated, so no single row is hot)
--   BENCH_COOKIE  Cookie header for staff scenarios (a signed-in, verified session)
--   BENCH_XFF     "1": a different client address per request (X-Forwarded-For, one trusted hop)
--   BENCH_METHOD  GET (default) or POST; BENCH_BODY_FILE the POST body
--   BENCH_HEADERS file with extra "Name: value" lines
--   BENCH_BODIES  file of "<X-Hub-Signature-256>\t<body>" lines, rotated (signed webhook POSTs)
-- Every request says it came through the TLS proxy (X-Forwarded-Proto: https), as in production.
-- done() prints one JSON line: latency percentiles (ms), requests, errors and a count per status.

local function lines(name)
  local out = {}
  if name == nil or name == "" then return out end
  for line in io.lines(name) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  paths = lines(os.getenv("BENCH_PATHS"))
  n = id * 7919
  statuses = {}
  xff = os.getenv("BENCH_XFF") == "1"
  method = os.getenv("BENCH_METHOD") or "GET"
  body = nil
  local body_file = os.getenv("BENCH_BODY_FILE")
  if body_file and body_file ~= "" then
    local f = io.open(body_file, "rb"); body = f:read("*a"); f:close()
  end
  base = {["X-Forwarded-Proto"] = "https", ["User-Agent"] = "Mozilla/5.0 (cradle-bench) Safari/605.1.15"}
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then base["Cookie"] = cookie end
  signed = {}
  for _, line in ipairs(lines(os.getenv("BENCH_BODIES"))) do
    local sig, payload = line:match("^([^\t]+)\t(.*)$")
    signed[#signed + 1] = {sig, payload}
  end
  for _, line in ipairs(lines(os.getenv("BENCH_HEADERS"))) do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    base[k] = v
  end
end

function request()
  n = n + 1
  local headers = {}
  for k, v in pairs(base) do headers[k] = v end
  if xff then
    -- 10.x.y.z from a per-thread counter: each address is seen about once per run.
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", id, math.floor(n / 256) % 256, n % 256)
  end
  local payload = body
  if #signed > 0 then
    local pick = signed[(n % #signed) + 1]
    headers["X-Hub-Signature-256"] = pick[1]
    payload = pick[2]
  end
  return wrk.format(method, paths[(n % #paths) + 1], headers, payload)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, count in pairs(s) do counts[code] = (counts[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', code, count) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, ' ..
    '"max_ms": %.3f, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
