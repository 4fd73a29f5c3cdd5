-- Give back a location's slot for a lead exactly once (SLA re-route), keyed by the reservation id.
-- ARGV: 1 prefix, 2 reservation id, 3 location, 4 day, 5 marker ttl s. Returns 1 released, 0 replay.
local p = ARGV[1]
if not redis.call('SET', p .. ':released:' .. ARGV[2], '1', 'NX', 'EX', ARGV[5]) then return 0 end
local key = p .. ':cap:' .. ARGV[3] .. ':' .. ARGV[4]
if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
return 1
