-- POST probe results: wrk ... -s post_results.lua URL -- <probes file> <batch size>
-- The probes file holds "id secret" lines; requests go round the probes and the
-- three locations, each thread starting at a different probe. Counts 201s.
local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local locations = {"us-east", "eu-west", "ap-south"}

local function body_for(location, batch)
   local one = '{"ok": true, "latency_ms": 83, "location": "%s", "message": "bench"}'
   if batch <= 1 then
      return string.format(one, location)
   end
   local items = {}
   for i = 1, batch do
      items[i] = string.format(one, locations[(i - 1) % #locations + 1])
   end
   return "[" .. table.concat(items, ",") .. "]"
end

function init(args)
   created, other = 0, 0
   local batch = tonumber(args[2]) or 1
   requests_list = {}
   for line in io.lines(args[1]) do
      local id, secret = line:match("^(%d+)%s+(%S+)$")
      if id then
         for _, location in ipairs(locations) do
            local headers = {
               ["Content-Type"] = "application/json",
               ["Authorization"] = "Bearer " .. secret,
            }
            table.insert(requests_list, wrk.format("POST", "/api/v1/probes/" .. id .. "/results", headers, body_for(location, batch)))
         end
      end
   end
   position = (thread_index or 0) * math.floor(#requests_list / 2)
end

function request()
   position = position % #requests_list + 1
   return requests_list[position]
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local c, o = 0, 0
   for _, thread in ipairs(threads) do
      c = c + thread:get("created")
      o = o + thread:get("other")
   end
   io.write(string.format('BENCH_JSON {"created": %d, "other": %d}\n', c, o))
end
