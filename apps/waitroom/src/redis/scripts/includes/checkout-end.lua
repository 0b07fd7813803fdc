-- An admitted session's checkout ended (completed, failed, expired, left): its member goes into
-- the event's set of ended checkouts (score = when it ended), which every instance's gate reads
-- with its per-event snapshot (event-progress-6.lua) to stop the session's pass within a
-- refresh, without a Redis read per check (docs/decisions/0021-gate.md). An entry is needed
-- only while the session's admission token could still verify: its checkout window plus a
-- minute of clock tolerance. The longest window seen is kept in the stats hash
-- (`ended_keep_ms`), so a lowered checkout_timeout_seconds never drops an entry early; older
-- entries are trimmed here, and the whole set expires once nothing ends for that long.
-- Call before end_session (it reads the session's admitted_at and expires_at).
local CHECKOUT_END_TOLERANCE_MS = 60000
local function remember_checkout_end(ended_key, stats_key, session_key, member, now)
  local times = redis.call('HMGET', session_key, 'aat', 'eat')
  local window = (tonumber(times[2] or '') or now) - (tonumber(times[1] or '') or now)
  local keep = math.max(window + CHECKOUT_END_TOLERANCE_MS,
                        tonumber(redis.call('HGET', stats_key, 'ended_keep_ms') or '') or 0)
  redis.call('HSET', stats_key, 'ended_keep_ms', keep)
  redis.call('ZADD', ended_key, now, member)
  redis.call('ZREMRANGEBYSCORE', ended_key, '-inf', '(' .. (now - keep))
  redis.call('PEXPIRE', ended_key, keep)
end
