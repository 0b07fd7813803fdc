-- The first half of the joins of a sharded event, in its shard 0 (docs/decisions/0023-sharded-events.md):
-- numbers in the event's one arrival sequence, so that arrival order holds across shards whatever
-- their masters. One call numbers every join an instance received in the same millisecond
-- (queue/arrivals.ts), so shard 0 pays one call per batch, not per join; the caller turns each
-- number into a queue score (queue-order.ts, the twin of includes/queue-order.lua). The second
-- half of each join is join-12.lua in the user's shard, given its score; the per-address join
-- limit and a proof's single use are checked in a shard of their own (join-limit-1.lua, use-proof-1.lua).
-- KEYS[1] shard 0's config hash  KEYS[2] the event's join sequence counter
-- ARGV[1] the number of joins n
-- Returns {'EVENT_NOT_FOUND'} or {'OK', shards ('' for one), updated_at, first number, pre_open, salt}:
-- the joins are numbered first, first + 1, ...; pre_open '1' when they join a shuffled pre-queue,
-- whose places are drawn from salt (the draw's secret seed) instead.
-- @include clock

local cfg = redis.call('HMGET', KEYS[1], 'state', 'opens_at', 'shuffle', 'salt', 'shards', 'updated_at')
if not cfg[1] then return {'EVENT_NOT_FOUND'} end
local n = tonumber(ARGV[1])
local first = redis.call('INCRBY', KEYS[2], n) - n + 1
local opens_at = tonumber(cfg[2] or '')
local pre_open = cfg[3] == '1' and opens_at ~= nil and now_ms() < opens_at
return {'OK', cfg[5] or '', cfg[6] or '', first, pre_open and '1' or '0', pre_open and (cfg[4] or '') or ''}
