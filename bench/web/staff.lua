-- wrk script of bench/web/staff.sh: staff clients recording enrollment decisions and
-- attendance through the JSON API (issue 14).
--
--   wrk -t2 -c64 -d60s --latency -s bench/web/staff.lua http://127.0.0.1:PORT -- DATA.lua
--
-- DATA.lua (written by staff.sh) defines
--   accounts  = { [name] = { cookie = "sj_session=…", csrf = "…" } }
--   decisions = { { program = ID, account = NAME, no_kk = "…" }, … }   -- households that
--               were in no decision of the program when the run started
--   marks     = { { session = ID, account = NAME, no_kk = { "…", … } }, … }  -- participants
--
-- Requests alternate: a decision, then an attendance record (MARKS_PER_REQUEST
-- participants of one training session). Each wrk thread takes every THREADS-th
-- household of `decisions` and walks its share in rounds; in round r every household
-- gets action r mod 3 of propose → enroll → exit, so each household goes
-- candidate → enrolled (or a refusal: capacity, quota, exclusivity) → exited →
-- candidate … and two requests in flight never concern the same household (a
-- thread's share is larger than its connections).
--
-- Counted per status: 2xx, 409 (a rule's refusal, with its reason) and anything else
-- (errors). done() prints the counts and the latency percentiles.

local MARKS_PER_REQUEST = 5
local ACTIONS = { "propose", "enroll", "exit" }

local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local mine = {}
local n = 0
local k = 0

function init(args)
  dofile(args[1])
  local count = tonumber(args[2]) or 1
  for i, d in ipairs(decisions) do
    if (i - 1) % count == tid then
      table.insert(mine, d)
    end
  end
  s2xx, s201, s409, other = 0, 0, 0, 0
  reasons, statuses = {}, {}
end

local function headers(account)
  local a = accounts[account]
  return {
    ["Content-Type"] = "application/json",
    ["Cookie"] = a.cookie,
    ["X-CSRF-Token"] = a.csrf,
  }
end

local sent = 0

function request()
  sent = sent + 1
  if sent % 2 == 1 then
    local i = k % #mine
    local round = math.floor(k / #mine)
    k = k + 1
    local d = mine[i + 1]
    local action = ACTIONS[(round % 3) + 1]
    local body
    if action == "exit" then
      body = string.format('{"no_kk":"%s","action":"exit","why":"beban uji","reason":"uji beban staf"}', d.no_kk)
    else
      body = string.format('{"no_kk":"%s","action":"%s","why":"beban uji"}', d.no_kk, action)
    end
    return wrk.format("POST", "/api/v1/programs/" .. d.program .. "/decisions", headers(d.account), body)
  else
    local m = marks[(sent / 2) % #marks + 1]
    local parts = {}
    local start = (math.floor(sent / 2 / #marks) * MARKS_PER_REQUEST) % #m.no_kk
    for j = 0, MARKS_PER_REQUEST - 1 do
      local kk = m.no_kk[(start + j) % #m.no_kk + 1]
      local present = ((sent + j) % 4 ~= 0) and "true" or "false"
      table.insert(parts, string.format('{"no_kk":"%s","present":%s}', kk, present))
    end
    local body = '{"marks":[' .. table.concat(parts, ",") .. ']}'
    return wrk.format("POST", "/api/v1/sessions/" .. m.session .. "/attendance", headers(m.account), body)
  end
end

function response(status, hdrs, body)
  -- A decision answers 201, an attendance record 200.
  if status == 201 then
    s2xx = s2xx + 1
    s201 = s201 + 1
  elseif status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 409 then
    s409 = s409 + 1
    local msg = body and body:match('"message"%s*:%s*"([^"]*)"') or "?"
    -- Reasons without the names, numbers and statuses that vary.
    msg = msg:gsub("%d+", "N"):sub(1, 60)
    reasons[msg] = (reasons[msg] or 0) + 1
  else
    other = other + 1
    local key = tostring(status) .. " " .. ((body or ""):sub(1, 120))
    statuses[key] = (statuses[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local t2, t201, t409, tother = 0, 0, 0, 0
  local allreasons, allstatuses = {}, {}
  for _, t in ipairs(threads) do
    t2 = t2 + t:get("s2xx")
    t201 = t201 + t:get("s201")
    t409 = t409 + t:get("s409")
    tother = tother + t:get("other")
    for r, c in pairs(t:get("reasons")) do allreasons[r] = (allreasons[r] or 0) + c end
    for r, c in pairs(t:get("statuses")) do allstatuses[r] = (allstatuses[r] or 0) + c end
  end
  local secs = summary.duration / 1e6
  io.write(string.format("STAFF requests %d in %.1f s = %.1f req/s\n", summary.requests, secs, summary.requests / secs))
  io.write(string.format("STAFF status 2xx %d (201 decisions stored %d, 200 attendance stored %d), 409 refusals %d, other %d, socket errors connect %d read %d write %d timeout %d\n",
    t2, t201, t2 - t201, t409, tother, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("STAFF latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  for r, c in pairs(allreasons) do
    io.write(string.format("STAFF refusal %6d  %s\n", c, r))
  end
  for r, c in pairs(allstatuses) do
    io.write(string.format("STAFF error %6d  %s\n", c, r))
  end
end
