-- wrk script for `make bench`: readers posting comments.
--   wrk -t2 -c32 -d10s --latency -s bench/post_comments.lua URL -- CLIENTS_FILE TAG
-- CLIENTS_FILE holds one reader per line, "cookie<TAB>csrf_token<TAB>issued", each from one fetch
-- of the form (the cookie may be empty). Requests take the readers in turn, each with a name and
-- address of their own; every text is distinct (TAG, thread, counter), so none is a duplicate.
-- Every answer should be 303; done() prints how many were and were not.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function encode(value)
  return (string.gsub(value, "[^%w%-_%.~]", function(character)
    return string.format("%%%02X", string.byte(character))
  end))
end

function init(args)
  clients = {}
  for line in io.lines(args[1]) do
    local cookie, token, issued = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)$")
    if cookie then
      table.insert(clients, { cookie = cookie, token = encode(token), issued = encode(issued) })
    end
  end
  tag = args[2] or "wrk"
  counter = 0
  acknowledged = 0
  refused = 0
  statuses = ""
end

function request()
  counter = counter + 1
  local number = (counter + id) % #clients + 1
  local client = clients[number]
  local text = string.format("Benchmark comment %s-%d-%d: thank you for the clear explanation. "
    .. "I had not understood how the dose changes the effect until now.", tag, id, counter)
  local body = "author=Bench+Reader+" .. number .. "&email=bench" .. number .. "%40example.org&url=&comment=" .. encode(text)
    .. "&parent=0&csrf_token=" .. client.token .. "&issued=" .. client.issued
  -- A reader whose form came with no cookie (the shared anonymous page) sends none.
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = client.cookie ~= "" and client.cookie or nil,
  }, body)
end

function response(status, headers, body)
  if status == 303 then
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
