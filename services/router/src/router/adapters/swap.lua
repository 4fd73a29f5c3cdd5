-- Move a lead's reservation to a location the business-hours rule prefers, atomically.
-- ARGV: 1 prefix, 2 reservation id, 3 booked location, 4 new location, 5 new day, 6 limit ratio,
--       7 reservation ttl s, 8 counter ttl s, 9 stored value of the new reservation.
-- Returns {'moved'} | {'kept', stored}: kept when the reservation is no longer the booked one (a
-- replay already moved it) or the new location has no slot left any more.
local p = ARGV[1]
local leadkey = p .. ':lead:' .. ARGV[2]
local prev = redis.call('GET', leadkey)
if not prev then return {'kept', ''} end
local booked, _, oldday = string.match(prev, '^([^|]*)|([^|]*)|([^|]*)|')
if booked ~= ARGV[3] then return {'kept', prev} end
local h = redis.call('HMGET', p .. ':loc:' .. ARGV[4], 'status', 'cap')
local newkey = p .. ':cap:' .. ARGV[4] .. ':' .. ARGV[5]
local used = tonumber(redis.call('GET', newkey) or '0')
if h[1] ~= 'active' or used >= tonumber(ARGV[6]) * (tonumber(h[2]) or 0) then return {'kept', prev} end
redis.call('INCR', newkey)
redis.call('EXPIRE', newkey, ARGV[8])
local oldkey = p .. ':cap:' .. booked .. ':' .. oldday
if tonumber(redis.call('GET', oldkey) or '0') > 0 then redis.call('DECR', oldkey) end
redis.call('SET', leadkey, ARGV[9], 'EX', ARGV[7])
return {'moved'}
