-- wrk script for tests/bench/LoadBench.java: cycles pre-signed workflow_run payloads (one file per
-- correlation, signed with the bench secret) with a unique X-GitHub-Delivery on every request, as
-- GitHub sends them, and counts the answers that are not 2xx.
-- Environment: AWT_WRK_DIR (bodies/<i>.json and sigs.txt), AWT_WRK_PREFIX (delivery id prefix).
local dir = os.getenv("AWT_WRK_DIR")
local prefix = os.getenv("AWT_WRK_PREFIX") or "wrk"
local threads = {}
local created = 0

function setup(thread)
  thread:set("tid", created)
  created = created + 1
  table.insert(threads, thread)
end

function init(args)
  heads, tails = {}, {}
  counter, not2xx = 0, 0
  local i = 0
  for sig in io.lines(dir .. "/sigs.txt") do
    local f = assert(io.open(dir .. "/bodies/" .. i .. ".json", "rb"))
    local body = f:read("*a")
    f:close()
    heads[i] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      .. "User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: workflow_run\r\nX-Hub-Signature-256: " .. sig
      .. "\r\nContent-Length: " .. #body .. "\r\nX-GitHub-Delivery: "
    tails[i] = "\r\n\r\n" .. body
    i = i + 1
  end
  bodies = i
end

function request()
  counter = counter + 1
  local k = counter % bodies
  return heads[k] .. prefix .. "-" .. tid .. "-" .. counter .. tails[k]
end

function response(status, headers, body)
  if status < 200 or status > 299 then not2xx = not2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("not2xx") or 0) end
  io.write(string.format("RESULT rate=%.1f p50=%.3f p99=%.3f max=%.3f requests=%d not2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
