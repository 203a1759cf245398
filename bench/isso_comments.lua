-- wrk script for `make bench`: Isso's comment POSTs, the yardstick for the blog's (post_comments.lua).
--   wrk -t2 -c32 -d10s --latency -s bench/isso_comments.lua 'URL/new?uri=/how-ketamine-works/' -- TAG
-- Isso takes JSON, with Content-Type: application/json (its CSRF check), and no form to fetch first.
-- Requests take 32 readers in turn, each with a name and address of their own; every text is distinct
-- (TAG, thread, counter). Every answer should be 201 (202 with moderation); done() prints how many were
-- and were not, in post_comments.lua's words.

local threads = {}
local readers = 32

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tag = args[1] or "wrk"
  counter = 0
  acknowledged = 0
  refused = 0
  statuses = ""
end

function request()
  counter = counter + 1
  local number = (counter + id) % readers + 1
  -- Nothing here needs escaping in JSON: the tag is letters and digits, the rest is plain text.
  local body = string.format('{"text": "Benchmark comment %s-%d-%d: thank you for the clear explanation. '
    .. 'I had not understood how the dose changes the effect until now.", "author": "Bench Reader %d", '
    .. '"email": "bench%d@example.org", "website": null, "parent": null}', tag, id, counter, number, number)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 201 or status == 202 then
    acknowledged = acknowledged + 1
  else
    refused = refused + 1
    if #statuses < 200 then
      statuses = statuses .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local total_acknowledged, total_refused, seen = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_acknowledged = total_acknowledged + thread:get("acknowledged")
    total_refused = total_refused + thread:get("refused")
    seen = seen .. thread:get("statuses")
  end
  io.write(string.format("BENCH acknowledged=%d refused=%d statuses=%s\n", total_acknowledged, total_refused, seen))
end
