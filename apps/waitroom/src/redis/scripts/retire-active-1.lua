-- Drops an event that its visitor found idle (nothing queued, active or waiting in the outbox)
-- from the active set, unless it was touched within the grace period: a join that committed
-- after the visitor looked has touched it since (or will, after this), and keeps it.
-- KEYS[1] active events zset
-- ARGV[1] event id  ARGV[2] grace period in ms
-- Returns 1 if the event was dropped, else 0.
-- @include clock
local touched = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '')
if not touched then return 0 end
if touched > now_ms() - tonumber(ARGV[2]) then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
