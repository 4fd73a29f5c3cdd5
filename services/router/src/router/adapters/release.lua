-- Give back a location's slot for a lead exactly once (SLA re-route), keyed by the reservation id.
-- KEYS: 1 the reservation's released marker, 2 the location's counter of the day (one slot: both
-- carry the router's hash tag). ARGV: 1 marker ttl s. Returns 1 released, 0 replay.
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
