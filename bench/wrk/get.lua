-- wrk script: GET a list of paths in turn, report latency percentiles as JSON to $WRK_OUT.
-- Each line of PATHS_FILE is a path, optionally followed by a tab and a Cookie header value
-- (a session that may see that page).
--
-- WRK_OUT=result.json wrk -s bench/wrk/get.lua URL -- PATHS_FILE [HEADER=VALUE ...]

local threads = {}
local counter = 0
local paths = {}


function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, cookie = string.match(line, "^([^\t]*)\t(.*)$")
    if path then
      paths[#paths + 1] = {path, cookie}
    else
      paths[#paths + 1] = {line, nil}
    end
  end
  for i = 2, #args do
    local name, value = string.match(args[i], "^([^=]+)=(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
  counter = thread_id * 7919
end

function request()
  counter = counter + 1
  local entry = paths[(counter % #paths) + 1]
  if entry[2] then
    return wrk.format("GET", entry[1], {Cookie = entry[2]})
  end
  return wrk.format("GET", entry[1])
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
