-- One event's progress, read once per tick by each instance that streams sessions of it: the
-- instance turns it into every stream's live position (waitroom/queue-flow.ts), so the cost is
-- one call per event per tick, whatever the number of streams. An instance whose gate checks
-- passes of the event also reads the checkouts that ended since its last read (the gate's
-- revocations, includes/checkout-end.lua).
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] stats hash  KEYS[4] pace hash
-- KEYS[5] flow hash          KEYS[6] ended-checkouts zset
-- ARGV[1] '' (no ended checkouts wanted), or the ms from which ended checkouts are wanted (inclusive)
-- Returns {} when the event does not exist, else
-- {admitted_total, queue_length, admission_rate_estimate, state, opens_at_ms, idle_timeout_seconds,
--  flow field/value list, created_at_ms, ended member/score list (empty unless asked), ended_keep_ms,
--  message, shards ('' for one)}
-- The message is the operator's current message to the event's waiting people ('' when none):
-- every poll and stream of the instance shows it from this one read.
-- created_at tells the sessions of this event from those of an earlier, removed event of the
-- same id, whose tickets count from that event's counters.
local cfg = redis.call('HMGET', KEYS[1], 'state', 'opens_at', 'idle', 'created_at', 'msg', 'shards')
if not cfg[1] then return {} end
local stats = redis.call('HMGET', KEYS[3], 'admitted_total', 'ended_keep_ms')
local ended = {}
if ARGV[1] ~= '' then ended = redis.call('ZRANGEBYSCORE', KEYS[6], ARGV[1], '+inf', 'WITHSCORES') end
return {stats[1] or '0', redis.call('ZCARD', KEYS[2]),
        redis.call('HGET', KEYS[4], 'ewma') or '', cfg[1], cfg[2] or '', cfg[3] or '',
        redis.call('HGETALL', KEYS[5]), cfg[4] or '', ended, stats[2] or '', cfg[5] or '', cfg[6] or ''}
