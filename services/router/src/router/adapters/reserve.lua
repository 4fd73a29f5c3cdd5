-- Book one slot of a NAMED location for a lead (a person's reassignment), atomically, with the
-- same eligibility as decide.lua (status active, reserved < ratio x daily capacity) and the same
-- replay rule (a reservation id already booked there answers that booking, nothing counted twice).
-- KEYS: 1 the reservation, 2 the location's profile hash, 3 its counter of the day (all under the
--       router's hash tag: one slot).
-- ARGV: 1 key base, 2 location id, 3 local day, 4 limit ratio, 5 reservation ttl s,
--       6 counter ttl s, 7 stored value, 8 mode: 'reserve' | 'undo' (give back this booking).
-- Returns {'booked', used, cap} | {'replayed', stored} | {'full', used, cap} |
--         {'inactive', status} | {'missing'} | {'undone'} | {'none'}
local prev = redis.call('GET', KEYS[1])
if ARGV[8] == 'undo' then
  if prev and string.sub(prev, 1, #ARGV[2] + 1) == ARGV[2] .. '|' then
    redis.call('DEL', KEYS[1])
    if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
    return {'undone'}
  end
  return {'none'}
end
if prev then
  local loc, _, day = string.match(prev, '^([^|]*)|([^|]*)|([^|]*)|')
  if loc == ARGV[2] then return {'replayed', prev} end
  -- an earlier, uncommitted try of this same move booked elsewhere: give that slot back first
  local other = ARGV[1] .. ':cap:' .. loc .. ':' .. day
  if tonumber(redis.call('GET', other) or '0') > 0 then redis.call('DECR', other) end
  redis.call('DEL', KEYS[1])
end
local h = redis.call('HMGET', KEYS[2], 'status', 'cap')
if not h[1] then return {'missing'} end
if h[1] ~= 'active' then return {'inactive', h[1]} end
local cap = tonumber(h[2]) or 0
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
if used >= tonumber(ARGV[4]) * cap then return {'full', used, cap} end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[6])
redis.call('SET', KEYS[1], ARGV[7], 'EX', ARGV[5])
return {'booked', used + 1, cap}
