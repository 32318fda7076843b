-- wrk script for bench/run: POSTs pre-generated JSON bodies (one per line of the
-- file given as the first script argument) to the path given as the second, in
-- the same order for every server; counts non-200 answers and GraphQL errors. An
-- optional third argument is a bearer token, sent as `Authorization` (c360 wants one).
--   wrk -t2 -c8 -d5s --latency -s bench/lua/bodies.lua http://127.0.0.1:PORT -- BODIES /graphql [TOKEN]
local bodies = {}
local counter = 0
local errors = 0
local path = "/graphql"
local threads = {}
local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = args[2] or "/graphql"
  if args[3] and #args[3] > 0 then headers["Authorization"] = "Bearer " .. args[3] end
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  counter = tid * 7919
end

function request()
  counter = counter + 1
  return wrk.format("POST", path, headers, bodies[(counter % #bodies) + 1])
end

function response(status, hdrs, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + (t:get("errors") or 0) end
  local s = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e,
    s.connect + s.read + s.write + s.timeout))
end
