-- What the admitter of a sharded event (admission/sharded-admission.ts) reads of one shard before
-- it decides how many each shard admits: the shard's config copy, its counts, the scores at the
-- head of its queue and, in shard 0, the event's rate bucket. It also fences the shard: from now
-- on a step of an older admitter (a lower epoch) is refused here and in admission-tick-9.lua, so
-- the active counts read are final for every admitter before this one, and capacity is counted
-- over every shard without a cross-slot transaction (docs/decisions/0023-sharded-events.md).
-- KEYS[1] config hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] pace hash  KEYS[5] outbox stream
-- ARGV[1] the step's epoch  ARGV[2] most head scores returned (0: none, the counts alone)
-- Returns {'NO_EVENT', outbox_length}, {'FENCED'} or
--   {'OK', state, capacity, rate ('' none), opens_at (''), updated_at, shards, now_ms, queue_length,
--    active_count, outbox_length, tokens ('' without a rate), bounds, rate estimate, its time,
--    head score, head score, ...}
-- bounds, rate estimate and its time are shard 0's (admission-plan-1.lua; the estimate the
-- admitter learns, admission-tick-9.lua writes it): '' elsewhere and before the first step.
-- @include clock

local cfg = redis.call('HMGET', KEYS[1], 'state', 'capacity', 'rate', 'opens_at', 'updated_at', 'shards')
if not cfg[1] then return {'NO_EVENT', redis.call('XLEN', KEYS[5])} end
local fenced_at = tonumber(redis.call('HGET', KEYS[4], 'epoch') or '0')
if fenced_at > tonumber(ARGV[1]) then return {'FENCED'} end
redis.call('HSET', KEYS[4], 'epoch', ARGV[1])

local now = now_ms()
local tokens = ''
local rate_per_minute = tonumber(cfg[3] or '')
if rate_per_minute then
  -- The bucket of admission-tick-9.lua, read without taking from it.
  local pace = redis.call('HMGET', KEYS[4], 'tokens', 'refill_ms')
  local burst = math.max(1, rate_per_minute / 60)
  local last_refill = tonumber(pace[2] or '') or now
  tokens = tostring(math.min(burst, (tonumber(pace[1] or '') or 1) + (now - last_refill) * rate_per_minute / 60000))
end
local plan = redis.call('HMGET', KEYS[4], 'act', 'ewma', 'ewma_ms')
local reply = {'OK', cfg[1], cfg[2] or '0', cfg[3] or '', cfg[4] or '', cfg[5] or '0', cfg[6] or '1', now,
               redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('XLEN', KEYS[5]), tokens,
               plan[1] or '', plan[2] or '', plan[3] or ''}
local heads = tonumber(ARGV[2])
if heads > 0 then
  local head = redis.call('ZRANGE', KEYS[2], 0, heads - 1, 'WITHSCORES')
  for i = 2, #head, 2 do reply[#reply + 1] = head[i] end
end
return reply
