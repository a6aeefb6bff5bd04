-- wrk script: POST unique request bodies, report latency percentiles as JSON.
--
-- WRK_OUT=result.json wrk -s bench/wrk/post.lua URL -- BODIES_FILE CONTENT_TYPE [HEADER=VALUE ...]
-- Each line of BODIES_FILE is one request body with the placeholder __N__, which is replaced
-- by a number unique across threads and requests (so that no two appeals are the same).

local threads = {}
local counter = 0
local bodies = {}

local content_type = "application/json"
local extra = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  content_type = args[2] or content_type
  for i = 3, #args do
    local name, value = string.match(args[i], "^([^=]+)=(.*)$")
    if name then
      extra[name] = value
    end
  end
  wrk.headers["Content-Type"] = content_type
  for name, value in pairs(extra) do
    wrk.headers[name] = value
  end
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  local unique = tostring(thread_id) .. "-" .. tostring(counter)
  body = string.gsub(body, "__N__", unique)
  return wrk.format("POST", nil, nil, body)
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
