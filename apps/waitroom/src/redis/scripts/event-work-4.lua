-- How much work an event has, for the sweep that finds events the active set missed.
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] outbox stream
-- Returns {configured (1|0), queue_length, active_count, outbox_length, shards (1 when unsharded)}
return {redis.call('EXISTS', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
        redis.call('XLEN', KEYS[4]), tonumber(redis.call('HGET', KEYS[1], 'shards') or '1')}
