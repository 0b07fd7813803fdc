-- Marks an event as having work, so the admission scheduler and the outbox relay visit it.
-- The score is Redis's clock at the touch: retire-active only drops an entry touched long enough
-- ago (see redis/active-events.ts for why that makes the race with a concurrent join safe).
-- KEYS[1] active events zset (the one cross-event key besides the registry)
-- ARGV[1] event id
-- Returns 1.
-- @include clock
redis.call('ZADD', KEYS[1], now_ms(), ARGV[1])
return 1
