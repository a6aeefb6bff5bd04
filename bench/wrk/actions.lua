-- wrk script: POST to a list of paths, each with its own body (workflow actions on many
-- appeals), report latency percentiles as JSON to $WRK_OUT.
-- Each line of ACTIONS_FILE is PATH, a tab, and the JSON body.
--
-- WRK_OUT=result.json wrk -s bench/wrk/actions.lua URL -- ACTIONS_FILE [HEADER=VALUE ...]

local threads = {}
local counter = 0
local actions = {}
local step = 1

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    local path, body = string.match(line, "^([^\t]*)\t(.*)$")
    actions[#actions + 1] = {path, body}
  end
  wrk.headers["Content-Type"] = "application/json"
  for i = 2, #args do
    local name, value = string.match(args[i], "^([^=]+)=(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
  -- Threads take interleaved lines, so that no two threads act on the same appeal.
  step = tonumber(os.getenv("WRK_THREADS") or "1")
  counter = thread_id - 1
end

function request()
  local entry = actions[(counter % #actions) + 1]
  counter = counter + step
  return wrk.format("POST", entry[1], nil, entry[2])
end

function done(summary, latency, requests)
  local out = os.getenv("WRK_OUT")
  local f = io.open(out, "w")
  f:write(string.format(
    '{"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
  f:close()
end
