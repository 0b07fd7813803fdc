-- The events whose scheduled close has come, by Redis's clock (the index scheduled-closes.ts keeps).
-- KEYS[1] scheduled-closes zset (member = event id, score = closes_at in ms)
-- ARGV[1] most ids returned
-- Returns a flat {event_id, closes_at_ms, ...} list, earliest first
-- @include clock

return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
