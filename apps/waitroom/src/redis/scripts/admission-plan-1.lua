-- What a sharded event's admission step is about to do, written in its shard 0 before any shard
-- admits (admission/sharded-admission.ts): for every shard, an upper bound of its admitted
-- (active) count once the step is done (the count read, or for a shard that could not be read
-- the bound written by the step before, plus what the step admits there), and the tokens the
-- step takes from the rate's bucket. A later step of any instance that cannot read a shard (its
-- master away) takes that shard's bound from here, so capacity holds for the event as a whole
-- while the other shards go on admitting.
-- KEYS[1] shard 0's pace hash
-- ARGV[1] the step's epoch  ARGV[2] the bounds, comma-separated, shard 0 first
-- ARGV[3] tokens taken  ARGV[4] the event's admission rate per minute ('' none)
-- ARGV[5] the event's admission-rate estimate after the step, people per second ('' none yet): kept
--         with the time of this step, from which the next step learns (sharded-admission.ts)
-- Returns 1, or 0 when a newer step has fenced shard 0 (this one must admit nobody).
-- @include clock

local fenced_at = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if fenced_at > tonumber(ARGV[1]) then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'act', ARGV[2], 'ewma_ms', now)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'ewma', ARGV[5]) end
local taken = tonumber(ARGV[3])
local rate_per_minute = tonumber(ARGV[4] or '')
if taken > 0 and rate_per_minute then
  -- The bucket of admission-tick-9.lua.
  local pace = redis.call('HMGET', KEYS[1], 'tokens', 'refill_ms')
  local burst = math.max(1, rate_per_minute / 60)
  local last_refill = tonumber(pace[2] or '') or now
  local tokens = math.min(burst, (tonumber(pace[1] or '') or 1) + (now - last_refill) * rate_per_minute / 60000)
  redis.call('HSET', KEYS[1], 'tokens', tokens - taken, 'refill_ms', now)
end
return 1
