"""Lua scripts of the distributed limiter; each runs atomically in one Redis round trip.

Keys per (app, resource): ``slots`` (ZSET of granted send times, ms, some in the future), ``state``
(HASH: learned ``max``/``interval`` from GHL's headers, ``pause_until`` after a 429) and ``daily``
(counter per UTC day). Times come from Redis ``TIME`` so every process shares one clock.

Redis Cluster: every key a script touches comes in KEYS (none is built inside a script), and the
three keys of one resource share the hash tag ``{<app>:<resource>}`` (RedisRateLimiter.keys), so
each call runs on the one node owning that slot; resources spread over the cluster.
"""

from __future__ import annotations

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- recent grant-to-answer lag, halving every second: it protects requests in flight right now
local function current_lag(lag, lag_at)
  return (tonumber(lag) or 0) * 0.5 ^ (math.max(0, now - (tonumber(lag_at) or now)) / 1000)
end
"""

# ARGV: max, interval_ms, guard_ms, daily_limit, max_wait_ms, member, burst
# Two rules, both enforced: a hard sliding window (at most `max` grants in any interval + guard) and
# GCRA pacing (one grant per interval/max after a burst of at most `burst` and a tenth of `max`),
# so requests reach GHL evenly
# spread instead of as a burst that queues at the server and squeezes the window there.
# Returns {code, wait_ms}: code 0 = slot reserved at now + wait_ms; 1 = no slot within max_wait_ms
# (nothing reserved); 2 = daily quota spent.
ACQUIRE = (
    _NOW
    + """
local st = redis.call('HMGET', KEYS[2], 'max', 'interval', 'pause_until', 'tat', 'lag', 'lag_at')
local max = tonumber(st[1]) or tonumber(ARGV[1])
-- the guard grows with the recent grant-to-answer lag (a saturated client or a slow network)
local span = (tonumber(st[2]) or tonumber(ARGV[2])) + math.max(tonumber(ARGV[3]), current_lag(st[5], st[6]))
local emission = span / max
local burst = math.max(1, math.min(tonumber(ARGV[7]), math.floor(max / 10)))
local tat = tonumber(st[4]) or 0
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[4]) then
  return {2, 0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
local at = now
local n = redis.call('ZCARD', KEYS[1])
if n > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  at = math.max(at, tonumber(last[2]))
end
if n >= max then
  -- the send time that keeps at most `max` grants in any window of `span`
  local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  at = math.max(at, tonumber(e[2]) + span)
end
at = math.max(at, tonumber(st[3]) or 0, tat - (burst - 1) * emission)
if at - now > tonumber(ARGV[5]) then
  return {1, math.ceil(at - now)}
end
redis.call('HSET', KEYS[2], 'tat', math.max(tat, at) + emission)
redis.call('PEXPIRE', KEYS[2], 86400000)
redis.call('ZADD', KEYS[1], at, ARGV[6])
redis.call('PEXPIRE', KEYS[1], math.ceil(at - now + span) + 1000)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 172800)
return {0, math.ceil(at - now)}
"""
)

# ARGV: header max, header interval_ms, header remaining, header daily_limit, header daily_remaining,
# guard_ms, member prefix, the call's own slot member (each "" when absent).
# Moves the call's slot from its grant time to now (the answer is in, so GHL counted it no later
# than now: a request held up on its way, e.g. by connection setup, cannot squeeze the window), and
# keeps `lag`, a maximum of grant-to-answer times decaying with a 1 s half-life, that widens the guard.
# Learns the server's limits, and when GHL counts more requests in the window (or today) than this
# limiter granted (other clients of the same app), books the difference so callers slow down.
OBSERVE = (
    _NOW
    + """
if ARGV[8] ~= '' then
  local granted = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[8]))
  if granted then
    local previous = redis.call('HMGET', KEYS[2], 'lag', 'lag_at')
    local lag = math.max(now - granted, current_lag(previous[1], previous[2]))
    redis.call('HSET', KEYS[2], 'lag', math.ceil(lag), 'lag_at', now)
    redis.call('ZADD', KEYS[1], 'XX', 'GT', now, ARGV[8])
  end
end
local hmax, hint = tonumber(ARGV[1]), tonumber(ARGV[2])
if hmax and hint then
  redis.call('HSET', KEYS[2], 'max', hmax, 'interval', hint)
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
local st = redis.call('HMGET', KEYS[2], 'max', 'interval')
local max, interval = tonumber(st[1]), tonumber(st[2])
local remaining = tonumber(ARGV[3])
local booked = 0
if max and interval and remaining then
  local server_used = max - remaining
  local ours = redis.call('ZCOUNT', KEYS[1], now - interval - tonumber(ARGV[6]), '+inf')
  for i = 1, server_used - ours do
    redis.call('ZADD', KEYS[1], now, ARGV[7] .. ':' .. i)
    booked = booked + 1
  end
end
local dlimit, dremaining = tonumber(ARGV[4]), tonumber(ARGV[5])
if dlimit and dremaining then
  local dused = dlimit - dremaining
  if dused > tonumber(redis.call('GET', KEYS[3]) or '0') then
    redis.call('SET', KEYS[3], dused, 'EX', 172800)
  end
end
return booked
"""
)

# ARGV: member, max, interval_ms, guard_ms. Run by a caller that slept until its slot: grants are
# reserved ahead (a batch books its whole queue at once), so one caller waking late (a busy event
# loop, a slow connection) sends later than booked and a slot reserved after it may now fall inside
# its window. The waking caller's slot moves to now, then is checked against the sends already due
# (scores <= now; later ones are reservations not yet sent, which run this same check when they wake).
# Returns the ms to wait before sending (0 = send now; the slot is moved to now + wait either way).
CONFIRM = (
    _NOW
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
local st = redis.call('HMGET', KEYS[2], 'max', 'interval', 'lag', 'lag_at')
local max = tonumber(st[1]) or tonumber(ARGV[2])
local span = (tonumber(st[2]) or tonumber(ARGV[3])) + math.max(tonumber(ARGV[4]), current_lag(st[3], st[4]))
redis.call('ZREM', KEYS[1], ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - span), now, 'WITHSCORES')
local n = #due / 2
local at = now
if n >= max then
  at = tonumber(due[(n - max) * 2 + 2]) + span
end
redis.call('ZADD', KEYS[1], at, ARGV[1])
return math.ceil(at - now)
"""
)

# ARGV: pause_ms. Pushes the resource's pause_until out (never in); returns it.
PAUSE = (
    _NOW
    + """
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'pause_until') or '0')
if until_ms > current then
  redis.call('HSET', KEYS[1], 'pause_until', until_ms)
  redis.call('PEXPIRE', KEYS[1], 86400000)
  return until_ms
end
return current
"""
)
