-- One consistent read of an event: its config, live counts and totals.
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] stats hash  KEYS[5] pace hash
-- Returns {} when the event does not exist, else
-- {config field/value list, queue_length, active_count, stats field/value list, admission_rate_estimate}
local config = redis.call('HGETALL', KEYS[1])
if #config == 0 then return {} end
return {config, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('HGETALL', KEYS[4]),
        redis.call('HGET', KEYS[5], 'ewma') or ''}
