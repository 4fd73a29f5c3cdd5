-- One routing decision in one round trip: search, filter, tie-break and reserve atomically.
-- ARGV: 1 prefix, 2 lead id ('' = preview), 3 lon, 4 lat, 5 skip radius steps (0/1),
--       6 radii csv (whole miles), 7 count per step, 8 state ('' = none), 9 state count,
--       10 limit ratio, 11 tie miles, 12 book (0/1), 13 reservation ttl s, 14 counter ttl s,
--       15 excluded location ids csv (locations that already had the lead), 16.. pairs of
--       (timezone, local ISO date).
-- A candidate is {id, distance, used, cap, status, ok, step, day, hours, timezone}.
-- Returns {'nodirectory'} | {'needtz', tz} | {'replayed', stored} |
--         {'booked'|'free'|'none', rule, location, distance, day, candidates}
local p = ARGV[1]
if redis.call('EXISTS', p .. ':ready') == 0 then return {'nodirectory'} end
local leadkey = p .. ':lead:' .. ARGV[2]
if ARGV[2] ~= '' then
  local prev = redis.call('GET', leadkey)
  if prev then return {'replayed', prev} end
end
local lon, lat = ARGV[3], ARGV[4]
local ratio, tie = tonumber(ARGV[10]), tonumber(ARGV[11])
local days = {}
for i = 16, #ARGV, 2 do days[ARGV[i]] = ARGV[i + 1] end
local excluded = {}
for id in string.gmatch(ARGV[15], '[^,]+') do excluded[id] = true end
local seen, out = {}, {}

local function remaining(c) return ratio * c[4] - c[3] end

local function better(c, best)
  local rc, rb = remaining(c), remaining(best)
  if rc ~= rb then return rc > rb end
  local dc, db = tonumber(c[2]), tonumber(best[2])
  if dc ~= db then return dc < db end
  return c[1] > best[1]
end

local function evaluate(found, step)
  local fresh, nearest = {}, nil
  for _, item in ipairs(found) do
    local id, dist = item[1], item[2]
    if not seen[id] then
      seen[id] = true
      local h = redis.call('HMGET', p .. ':loc:' .. id, 'status', 'cap', 'tz', 'hours')
      local status, cap, tz = h[1] or 'missing', tonumber(h[2]) or 0, h[3] or ''
      if excluded[id] then status = 'excluded' end
      local day = days[tz]
      if day == nil then return nil, tz end
      local used = tonumber(redis.call('GET', p .. ':cap:' .. id .. ':' .. day) or '0')
      local ok = 0
      if status == 'active' and used < ratio * cap then ok = 1 end
      local c = {id, dist, used, cap, status, ok, step, day, h[4] or '', tz}
      table.insert(out, c)
      if ok == 1 then
        table.insert(fresh, c)
        local d = tonumber(dist)
        if nearest == nil or d < nearest then nearest = d end
      end
    end
  end
  local best = nil
  for _, c in ipairs(fresh) do
    if tonumber(c[2]) <= nearest + tie and (best == nil or better(c, best)) then best = c end
  end
  return best, nil
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
    local found = redis.call('GEOSEARCH', p .. ':geo', 'FROMLONLAT', lon, lat, 'BYRADIUS', r, 'mi',
      'ASC', 'COUNT', tonumber(ARGV[7]) * n, 'WITHDIST')
    local best, missing = evaluate(found, 'radius_' .. r)
    if missing then return {'needtz', missing} end
    if best then return finish(best, 'radius_' .. r) end
  end
end
if ARGV[8] ~= '' then
  local found = redis.call('GEOSEARCH', p .. ':geo:state:' .. ARGV[8], 'FROMLONLAT', lon, lat,
    'BYRADIUS', 5000, 'mi', 'ASC', 'COUNT', ARGV[9], 'WITHDIST')
  local best, missing = evaluate(found, 'same_state')
  if missing then return {'needtz', missing} end
  if best then return finish(best, 'same_state') end
end
return {'none', 'unassigned', '', '', '', out}
