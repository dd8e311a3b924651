-- Count every response by status class, and answers served from a stale snapshot.
-- done() prints one line "BENCH_JSON {...}" that bench/wrk.py reads.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   responses, non2xx, stale = 0, 0, 0
end

function response(status, headers, body)
   responses = responses + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
   local snapshot = headers["X-Snapshot"] or headers["x-snapshot"]
   if snapshot == "stale" then
      stale = stale + 1
   end
end

function done(summary, latency, requests)
   local r, n, s = 0, 0, 0
   for _, thread in ipairs(threads) do
      r = r + thread:get("responses")
      n = n + thread:get("non2xx")
      s = s + thread:get("stale")
   end
   io.write(string.format('BENCH_JSON {"responses": %d, "non2xx": %d, "stale": %d}\n', r, n, s))
end
