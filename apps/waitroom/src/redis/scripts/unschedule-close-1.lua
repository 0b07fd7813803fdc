-- Drops an event from the scheduled-closes index, but only the entry that was handled: a PUT
-- that scheduled a new closes_at meanwhile (a new score) keeps its entry.
-- KEYS[1] scheduled-closes zset
-- ARGV[1] event id  ARGV[2] the score that was handled
-- Returns 1 when dropped, else 0

local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
