-- wrk script: cycles round-robin through bearer tokens read from a file.
-- Usage: wrk -t1 ... -s wrk-tokens.lua URL -- <tokens-file|-> [offset]
--   tokens-file: one token per line; "-" sends no Authorization header.
--   offset: index of the first token used (so consecutive runs continue
--   through a cold pool instead of starting over).
-- wrk-status.lua loads this script with COUNT_STATUS set: it also counts
-- responses per HTTP status (a response() callback makes wrk parse every
-- response, so only the rotation storm uses it).
-- Requests are pre-formatted in init() (before wrk starts its clock), so
-- request() costs one table lookup. Meant for a single wrk thread (-t1): each
-- thread has its own Lua state and would cycle independently.
-- done() prints one line "WRK_JSON {...}" with the summary for the runner.

-- Lines "token<TAB>proof" are DPoP requests (bench/lib/dpop.js): sent with
-- Host: bench.local, the host their proofs' htu names.
DPOP_HOST = "bench.local"
local reqs = {}
local n = 0
local i = 0
statuses = {} -- global: done() reads it from each thread with thread:get()
local threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
end

if COUNT_STATUS then
  response = function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

init = function(args)
  local file = args[1]
  local offset = tonumber(args[2] or "0") or 0
  if file == nil or file == "-" then
    n = 1
    reqs[1] = wrk.format("GET", wrk.path)
  else
    for line in io.lines(file) do
      if #line > 0 then
        n = n + 1
        local tab = string.find(line, "\t", 1, true)
        if tab then
          -- "token<TAB>proof": a DPoP request, addressed to the host the proof's htu names.
          reqs[n] = wrk.format("GET", wrk.path, {
            Authorization = "DPoP " .. string.sub(line, 1, tab - 1),
            DPoP = string.sub(line, tab + 1),
            Host = DPOP_HOST,
          })
        else
          reqs[n] = wrk.format("GET", wrk.path, { Authorization = "Bearer " .. line })
        end
      end
    end
  end
  if n == 0 then error("no tokens in " .. tostring(file)) end
  i = offset % n
end

request = function()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  -- done() runs in wrk's main Lua state; per-thread counts come from thread:get().
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for code, count in pairs(counts) do total[code] = (total[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(total) do parts[#parts + 1] = string.format('"%d":%d', code, count) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    table.concat(parts, ",")))
end
