-- Move a lead's reservation to a location the business-hours rule prefers, atomically.
-- KEYS: 1 reservation, 2 new location's profile hash, 3 new location's counter (new day),
--       4 booked location's counter (booked day), 5.. the lead's contact keys (returning leads).
--       All under the router's hash tag: one slot.
-- ARGV: 1 booked location, 2 booked day, 3 limit ratio, 4 reservation ttl s, 5 counter ttl s,
--       6 stored value of the new reservation, 7 the contact keys' new value, 8 their ttl s.
-- Returns {'moved'} | {'kept', stored}: kept when the reservation is no longer the booked one (a
-- replay already moved it) or the new location has no slot left any more.
local prev = redis.call('GET', KEYS[1])
if not prev then return {'kept', ''} end
local booked, _, oldday = string.match(prev, '^([^|]*)|([^|]*)|([^|]*)|')
if booked ~= ARGV[1] or oldday ~= ARGV[2] then return {'kept', prev} end
local h = redis.call('HMGET', KEYS[2], 'status', 'cap')
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
if h[1] ~= 'active' or used >= tonumber(ARGV[3]) * (tonumber(h[2]) or 0) then return {'kept', prev} end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[5])
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
redis.call('SET', KEYS[1], ARGV[6], 'EX', ARGV[4])
for i = 5, #KEYS do redis.call('SET', KEYS[i], ARGV[7], 'EX', ARGV[8]) end
return {'moved'}
