-- One routing decision in one round trip: search, filter, tie-break and reserve atomically.
-- KEYS: 1 ready marker, 2 the lead's reservation, 3 GEO index, 4 the state's GEO index (any key
--       when ARGV 8 is ''), 5 territory hash (zip -> owner), 6 fair-share hash (location -> pass),
--       7.. the lead's contact keys (returning leads; none when that rule is off). The keys found
--       while searching (each candidate's profile hash and capacity counter) are built from
--       ARGV 1, the key base: all share its hash tag, so on a Redis Cluster the whole decision
--       runs in one slot.
-- ARGV: 1 key base, 2 lead id ('' = preview), 3 lon, 4 lat, 5 skip radius steps (0/1),
--       6 radii csv (whole miles), 7 count per step, 8 state ('' = none), 9 state count,
--       10 limit ratio, 11 tie miles, 12 book (0/1), 13 reservation ttl s, 14 counter ttl s,
--       15 excluded location ids csv (locations that already had the lead), 16 candidates to
--       report (k nearest seen), 17 band miles (the eligible ones of the chosen step within this
--       of the nearest are reported too, for the caller's business-hours re-rank), 18 most
--       locations looked at per decision, 19 the lead's zip ('' = no territory lookup),
--       20 territory fallback (nearest | pool), 21 tie policy (nearest | round_robin |
--       weighted_capacity | weighted), 22 fair band miles, 23 now (epoch s), 24 returning window
--       s (0 = off), 25.. pairs of (timezone, local ISO date).
-- Order: returning (the contact's last location, if eligible and within the largest radius),
-- territory (the zip's owner, if eligible; else the fallback), then the ladder.
-- Each step finds the nearest location WITH CAPACITY inside its radius: it starts with the COUNT
-- nearest and, while those are all full/inactive/excluded (or the tie window of the nearest open
-- one is cut off), searches again with four times the COUNT until GEOSEARCH returns fewer than
-- asked (everything inside the radius seen). Only then does the ladder widen. Each location looked
-- at costs an HMGET and a GET (~5 us of Redis time): past ARGV 18 of them (default 200) the
-- decision stops (unassigned), so a saturated dense area cannot stall Redis for everyone.
-- Tie policy: `nearest` = the nearest eligible, among those within ARGV 11 of it the most
-- remaining capacity (the original rule). The others choose among the eligible ones within
-- ARGV 22 of the nearest by virtual finish time (stride scheduling): every location has a pass in
-- KEYS[6]; the one with the smallest pass + 1/weight wins and its pass becomes that sum. Weight
-- 1 = round robin, the profile's `w` = weighted, remaining capacity = weighted_capacity. A
-- location without a pass, or far behind, joins one turn behind the band's leader.
-- A location whose profile has `rmax` (its radius override) takes no lead farther than that from
-- it, whatever the rule: it is reported with status 'out_of_reach' and is not eligible.
-- A candidate is {id, distance, used, cap, status, ok, step, day, hours, timezone, weight}.
-- Returns {'nodirectory'} | {'needtz', tz} | {'replayed', stored} |
--         {'booked'|'free'|'none'|'pool', rule|reason, location, distance, day, candidates, note,
--          policy}
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
for i = 25, #ARGV, 2 do days[ARGV[i]] = ARGV[i + 1] end
local excluded = {}
for id in string.gmatch(ARGV[15], '[^,]+') do excluded[id] = true end
local keep, band, limit = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
-- seen: id -> every candidate looked at (each location's hash and counter read once per decision);
-- out: the reported ones, bounded so decision logs stay small however far a search grows.
local seen, nseen, out, reported = {}, 0, {}, {}
local capped = false  -- `limit` locations looked at: no further search in this decision
local policy, fairband = ARGV[21], tonumber(ARGV[22])
local now, window = tonumber(ARGV[23]), tonumber(ARGV[24])
-- how far past the nearest eligible one a step must have looked before it may choose
local window_miles = tie
if policy ~= 'nearest' then window_miles = math.max(tie, fairband) end
local notes = {}
local fired = ''  -- the tie policy that chose (reported when it is not `nearest`)

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

-- Reads the candidates of `found` not seen yet; the eligible ones join `pool` (in distance order).
-- Returns a timezone the caller has no local date for (nothing written yet: the caller adds it and
-- runs again), and true when it stopped past the fair window of the nearest eligible one.
local function evaluate(found, step, pool)
  for _, item in ipairs(found) do
    local id, dist = item[1], item[2]
    -- the fair policies' window is wide: locations past it are not read at all (nearest keeps
    -- reading the whole answer, so its reported candidates stay what they were)
    if policy ~= 'nearest' and pool[1] and tonumber(dist) > tonumber(pool[1][2]) + window_miles then
      return nil, true
    end
    if not seen[id] then
      if nseen >= limit then
        capped = true
        return nil
      end
      nseen = nseen + 1
      local h = redis.call('HMGET', p .. ':loc:' .. id, 'status', 'cap', 'tz', 'hours', 'w', 'rmax')
      local status, cap, tz = h[1] or 'missing', tonumber(h[2]) or 0, h[3] or ''
      local reach = tonumber(h[6] or '')
      if status == 'active' and reach and tonumber(dist) > reach then status = 'out_of_reach' end
      if excluded[id] then status = 'excluded' end
      local day = days[tz]
      if day == nil then return tz end
      local used = tonumber(redis.call('GET', p .. ':cap:' .. id .. ':' .. day) or '0')
      local ok = 0
      if status == 'active' and used < ratio * cap then ok = 1 end
      local c = {id, dist, used, cap, status, ok, step, day, h[4] or '', tz, tonumber(h[5]) or 1}
      seen[id] = c
      if nseen <= keep then report(c) end
      if ok == 1 then table.insert(pool, c) end
    end
  end
  return nil
end

-- Nearest eligible; among those within `tie` miles of it, the most remaining capacity.
local function choose_nearest(pool, nearest)
  local best = nil
  for _, c in ipairs(pool) do
    if tonumber(c[2]) <= nearest + tie and (best == nil or better(c, best)) then best = c end
  end
  return best
end

local function weight(c)
  if policy == 'weighted' then return c[11] end
  if policy == 'weighted_capacity' then return remaining(c) end
  return 1
end

-- The fair policies: smallest virtual finish time among the eligible ones within `fairband`.
local function choose_fair(pool, nearest)
  local inband, passes, top = {}, {}, nil
  local ids = {}
  for _, c in ipairs(pool) do
    if tonumber(c[2]) <= nearest + fairband then
      table.insert(inband, c)
      table.insert(ids, c[1])
    end
  end
  local stored = redis.call('HMGET', KEYS[6], unpack(ids))
  for i, c in ipairs(inband) do
    local pass = tonumber(stored[i])
    passes[c[1]] = pass
    if pass and (top == nil or pass > top) then top = pass end
  end
  local best, bestfinish = nil, nil
  for _, c in ipairs(inband) do
    local stride = 1 / weight(c)
    local pass = passes[c[1]]
    -- new or long absent (paused, full for days): one turn behind the leader, not a burst
    if pass == nil or pass < (top or 0) - stride then pass = (top or 0) - stride end
    local finish = pass + stride
    local d, bd = tonumber(c[2]), best and tonumber(best[2])
    if best == nil or finish < bestfinish or (finish == bestfinish and (d < bd or (d == bd and c[1] < best[1]))) then
      best, bestfinish = c, finish
    end
  end
  best[12], best[13] = bestfinish, #inband
  return best
end

local function choose(pool)
  local nearest = nil
  for _, c in ipairs(pool) do
    local d = tonumber(c[2])
    if nearest == nil or d < nearest then nearest = d end
  end
  if policy == 'nearest' then return choose_nearest(pool, nearest), nearest end
  return choose_fair(pool, nearest), nearest
end

-- One step of the ladder over the GEO set `key`: its best candidate (nil: none inside `radius`).
local function search(key, radius, base, step)
  local pool = {}
  -- the first `nseen` results are the locations earlier steps already saw (all ineligible)
  local count = math.min(base + nseen, limit + nseen)
  while true do
    local found = redis.call('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYRADIUS', radius, 'mi',
      'ASC', 'COUNT', count, 'WITHDIST')
    local missing, stopped = evaluate(found, step, pool)
    if missing then return nil, missing end
    local exhausted = #found < count
    local first = pool[1] and tonumber(pool[1][2])
    if first and (capped or exhausted or stopped or tonumber(found[#found][2]) > first + window_miles) then
      local best, nearest = choose(pool)  -- once the whole window is seen
      for _, c in ipairs(pool) do
        if tonumber(c[2]) <= nearest + band and #out < 2 * keep then report(c) end
      end
      report(best)
      if best[13] then
        fired = policy
        table.insert(notes, 'tie ' .. policy .. ': ' .. best[1] .. ' of ' .. best[13] .. ' within ' .. ARGV[22] .. ' mi')
      end
      return best, nil
    end
    if exhausted or capped then return nil, nil end
    count = math.min(count * 4, limit + nseen)
  end
end

local function note() return table.concat(notes, '; ') end

local function finish(c, rule)
  if ARGV[12] ~= '1' then return {'free', rule, c[1], c[2], c[8], out, note(), fired} end
  local ck = p .. ':cap:' .. c[1] .. ':' .. c[8]
  redis.call('INCR', ck)
  redis.call('EXPIRE', ck, ARGV[14])
  redis.call('SET', leadkey, c[1] .. '|' .. c[2] .. '|' .. c[8] .. '|' .. rule, 'EX', ARGV[13])
  if c[12] then redis.call('HSET', KEYS[6], c[1], string.format('%.17g', c[12])) end
  if window > 0 then
    for i = 7, #KEYS do redis.call('SET', KEYS[i], c[1] .. '|' .. ARGV[23], 'EX', window) end
  end
  return {'booked', rule, c[1], c[2], c[8], out, note(), fired}
end

-- Miles from the lead to a location of the GEO index (nil: not indexed, i.e. not active).
local function miles_to(id)
  local pos = redis.call('GEOPOS', KEYS[3], id)[1]
  if not pos then return nil end
  local rad = math.pi / 180
  local la1, la2 = tonumber(lat) * rad, tonumber(pos[2]) * rad
  local dla, dlo = la2 - la1, (tonumber(pos[1]) - tonumber(lon)) * rad
  local a = math.sin(dla / 2) ^ 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ^ 2
  -- Redis GEO's earth radius (6372797.560856 m) over its mile (1609.34 m), as WITHDIST reports
  return string.format('%.4f', 2 * 3959.8827 * math.asin(math.sqrt(a)))
end

-- One named location as a step of its own: the candidate when eligible.
local function single(id, dist, step)
  local pool = {}
  local missing = evaluate({{id, dist}}, step, pool)
  if missing then return nil, missing end
  if pool[1] then report(pool[1]) end
  return pool[1], nil
end

-- Returning lead: the latest location any of its contact keys was booked at inside the window.
if window > 0 and #KEYS >= 7 then
  local last, at = nil, -1
  for i = 7, #KEYS do
    local v = redis.call('GET', KEYS[i])
    if v then
      local id, when = string.match(v, '^(.*)|(%d+)$')
      when = tonumber(when)
      if id and when and when > at and when >= now - window then last, at = id, when end
    end
  end
  if last then
    local dist, maxr = miles_to(last), 0
    for r in string.gmatch(ARGV[6], '[^,]+') do maxr = math.max(maxr, tonumber(r)) end
    if dist and tonumber(dist) <= maxr then
      local c, missing = single(last, dist, 'returning')
      if missing then return {'needtz', missing} end
      if c then return finish(c, 'returning') end
      table.insert(notes, 'returning: ' .. last .. ' not eligible')
    end
  end
end

-- Territory: the zip's owner while it is active with capacity, else the fallback.
if ARGV[19] ~= '' then
  local owner = redis.call('HGET', KEYS[5], ARGV[19])
  if owner then
    local c, missing = single(owner, miles_to(owner) or '0', 'territory')
    if missing then return {'needtz', missing} end
    if c then return finish(c, 'territory') end
    local reason = 'territory_full'
    if seen[owner] == nil or seen[owner][5] ~= 'active' then reason = 'territory_owner_unavailable' end
    if ARGV[20] == 'pool' then return {'pool', reason, '', '', '', out, note(), ''} end
    table.insert(notes, 'territory: ' .. owner .. ' ' .. reason .. ', fallback nearest')
  end
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
return {'none', 'unassigned', '', '', '', out, note(), ''}
