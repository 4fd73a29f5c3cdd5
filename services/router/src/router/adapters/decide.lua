-- One routing decision in one round trip: search, filter, tie-break and reserve atomically.
-- KEYS: 1 ready marker, 2 the lead's reservation, 3 GEO index, 4 the state's GEO index (any key
--       when ARGV 8 is ''). The keys found while searching (each candidate's profile hash and
--       capacity counter) are built from ARGV 1, the key base: all share its hash tag, so on a
--       Redis Cluster the whole decision runs in one slot.
-- ARGV: 1 key base, 2 lead id ('' = preview), 3 lon, 4 lat, 5 skip radius steps (0/1),
--       6 radii csv (whole miles), 7 count per step, 8 state ('' = none), 9 state count,
--       10 limit ratio, 11 tie miles, 12 book (0/1), 13 reservation ttl s, 14 counter ttl s,
--       15 excluded location ids csv (locations that already had the lead), 16 candidates to
--       report (k nearest seen), 17 band miles (the eligible ones of the chosen step within this
--       of the nearest are reported too, for the caller's business-hours re-rank), 18 most
--       locations looked at per decision, 19.. pairs of (timezone, local ISO date).
-- Each step finds the nearest location WITH CAPACITY inside its radius: it starts with the COUNT
-- nearest and, while those are all full/inactive/excluded (or the tie window of the nearest open
-- one is cut off), searches again with four times the COUNT until GEOSEARCH returns fewer than
-- asked (everything inside the radius seen). Only then does the ladder widen. Each location looked
-- at costs an HMGET and a GET (~5 us of Redis time): past ARGV 18 of them (default 200) the
-- decision stops (unassigned), so a saturated dense area cannot stall Redis for everyone.
-- A candidate is {id, distance, used, cap, status, ok, step, day, hours, timezone}.
-- Returns {'nodirectory'} | {'needtz', tz} | {'replayed', stored} |
--         {'booked'|'free'|'none', rule, location, distance, day, candidates}
local p = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then return {'nodirectory'} end
local leadkey = KEYS[2]
if ARGV[2] ~= '' then
  local prev = redis.call('GET', leadkey)
  if prev then return {'replayed', prev} end
end
local lon, lat = ARGV[3], ARGV[4]
local ratio, tie = tonumber(ARGV[10]), tonumber(ARGV[11])
local days = {}
for i = 19, #ARGV, 2 do days[ARGV[i]] = ARGV[i + 1] end
local excluded = {}
for id in string.gmatch(ARGV[15], '[^,]+') do excluded[id] = true end
local keep, band, limit = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
-- seen: every candidate looked at (each location's hash and counter read once per decision);
-- out: the reported ones, bounded so decision logs stay small however far a search grows.
local seen, nseen, out, reported = {}, 0, {}, {}
local capped = false  -- `limit` locations looked at: no further search in this decision

local function report(c)
  if not reported[c[1]] then
    reported[c[1]] = true
    table.insert(out, c)
  end
end

local function remaining(c) return ratio * c[4] - c[3] end

local function better(c, best)
  local rc, rb = remaining(c), remaining(best)
  if rc ~= rb then return rc > rb end
  local dc, db = tonumber(c[2]), tonumber(best[2])
  if dc ~= db then return dc < db end
  return c[1] > best[1]
end

-- Reads the candidates of `found` not seen yet; the eligible ones join `pool`. Returns a timezone
-- the caller has no local date for (nothing written yet: the caller adds it and runs again).
local function evaluate(found, step, pool)
  for _, item in ipairs(found) do
    local id, dist = item[1], item[2]
    if not seen[id] then
      if nseen >= limit then
        capped = true
        return nil
      end
      seen[id] = true
      nseen = nseen + 1
      local h = redis.call('HMGET', p .. ':loc:' .. id, 'status', 'cap', 'tz', 'hours')
      local status, cap, tz = h[1] or 'missing', tonumber(h[2]) or 0, h[3] or ''
      if excluded[id] then status = 'excluded' end
      local day = days[tz]
      if day == nil then return tz end
      local used = tonumber(redis.call('GET', p .. ':cap:' .. id .. ':' .. day) or '0')
      local ok = 0
      if status == 'active' and used < ratio * cap then ok = 1 end
      local c = {id, dist, used, cap, status, ok, step, day, h[4] or '', tz}
      if nseen <= keep then report(c) end
      if ok == 1 then table.insert(pool, c) end
    end
  end
  return nil
end

-- Nearest eligible; among those within `tie` miles of it, the most remaining capacity.
local function choose(pool)
  local nearest, best = nil, nil
  for _, c in ipairs(pool) do
    local d = tonumber(c[2])
    if nearest == nil or d < nearest then nearest = d end
  end
  for _, c in ipairs(pool) do
    if tonumber(c[2]) <= nearest + tie and (best == nil or better(c, best)) then best = c end
  end
  return best, nearest
end

-- One step of the ladder over the GEO set `key`: its best candidate (nil: none inside `radius`).
local function search(key, radius, base, step)
  local pool = {}
  -- the first `nseen` results are the locations earlier steps already saw (all ineligible)
  local count = math.min(base + nseen, limit + nseen)
  while true do
    local found = redis.call('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYRADIUS', radius, 'mi',
      'ASC', 'COUNT', count, 'WITHDIST')
    local missing = evaluate(found, step, pool)
    if missing then return nil, missing end
    local best, nearest = nil, nil
    if #pool > 0 then best, nearest = choose(pool) end
    local exhausted = #found < count
    if best and (capped or exhausted or tonumber(found[#found][2]) > nearest + tie) then
      for _, c in ipairs(pool) do
        if tonumber(c[2]) <= nearest + band and #out < 2 * keep then report(c) end
      end
      report(best)
      return best, nil
    end
    if exhausted or capped then return nil, nil end
    count = math.min(count * 4, limit + nseen)
  end
end

local function finish(c, rule)
  if ARGV[12] ~= '1' then return {'free', rule, c[1], c[2], c[8], out} end
  local ck = p .. ':cap:' .. c[1] .. ':' .. c[8]
  redis.call('INCR', ck)
  redis.call('EXPIRE', ck, ARGV[14])
  redis.call('SET', leadkey, c[1] .. '|' .. c[2] .. '|' .. c[8] .. '|' .. rule, 'EX', ARGV[13])
  return {'booked', rule, c[1], c[2], c[8], out}
end

if ARGV[5] ~= '1' then
  local n = 0
  for r in string.gmatch(ARGV[6], '[^,]+') do
    n = n + 1
    local best, missing = search(KEYS[3], r, tonumber(ARGV[7]) * n, 'radius_' .. r)
    if missing then return {'needtz', missing} end
    if best then return finish(best, 'radius_' .. r) end
    if capped then break end
  end
end
if ARGV[8] ~= '' and not capped then
  local best, missing = search(KEYS[4], 5000, tonumber(ARGV[9]), 'same_state')
  if missing then return {'needtz', missing} end
  if best then return finish(best, 'same_state') end
end
return {'none', 'unassigned', '', '', '', out}
