-- One admission step for one event, atomic, safe to run from every instance at once:
-- this script is the only place a checkout slot is granted, so capacity holds however many
-- schedulers race. In order: reclaim expired checkout windows, drop idle queued sessions,
-- then admit from the head of the queue within free capacity and the rate's token bucket.
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] active zset (score = checkout deadline)
-- KEYS[4] heartbeat zset     KEYS[5] stats hash  KEYS[6] pace hash (token bucket + rate estimate)
-- KEYS[7] outbox stream      KEYS[8] flow hash (departures per flow bucket; folded behind the head here)
-- KEYS[9] ended-checkouts zset (an expired window ends its gate pass: includes/checkout-end.lua)
-- ARGV[1] session key prefix  ARGV[2] user index key prefix  ARGV[3] most sessions moved per step
-- ARGV[4] retention seconds of ended sessions  ARGV[5] message id prefix (unique per call)
-- A shard of a sharded event (docs/decisions/0023-sharded-events.md) is stepped by its event's one
-- admitter (admission/sharded-admission.ts), which decides for the whole event how many each shard
-- admits; then also:
-- ARGV[6] the admitter's fencing epoch (a step of an older epoch is refused: 'FENCED')
-- ARGV[7] most people this shard admits now (the admitter's merge of every shard's head)
-- ARGV[8] the event's admission-rate estimate, people per second ('' when unknown)
-- ARGV[9] the step's admission instant (ms, shard 0's clock): every shard's admissions of one
--          step carry the same admitted_at, so they read as the one batch they are
-- Returns {'NO_EVENT', outbox_length}, {'SHARDED', shards} (a sharded event stepped without ARGV[6]),
--         {'FENCED'} or
--         {'OK' | 'HELD', expired, abandoned, admitted, queue_length, active_count, outbox_length, wake_in_ms}
-- ('HELD': paused, closed or not yet open, so nobody was admitted). The lengths tell the
-- scheduler whether the event still has work (redis/active-events.ts); wake_in_ms is when the
-- event next needs a step if nothing else happens (0: at once, -1: no time-based need): a
-- checkout window ends, a queued person's idle timeout runs out, the event opens, the rate's next
-- token. Joins, leaves, checkout outcomes and operator changes wake the event on the instance
-- that made them (admission.scheduler.ts), so a quiet event is not stepped every tick.
-- @include clock
-- @include end-session
-- @include checkout-end
-- @include outbox
-- @include queue-order

-- How fast the admission-rate estimate follows changes: a 30 s time constant keeps the
-- estimated wait steady from one poll to the next while still tracking a real slowdown.
local RATE_ESTIMATE_TAU_SECONDS = 30
local RATE_ESTIMATE_MAX_GAP_MS = 5000

local now = now_ms()
local cfg = redis.call('HMGET', KEYS[1], 'state', 'capacity', 'rate', 'timeout', 'opens_at', 'idle', 'shards')
if not cfg[1] then return {'NO_EVENT', redis.call('XLEN', KEYS[7])} end
local shard_mode = (ARGV[6] or '') ~= ''
if cfg[7] and not shard_mode then return {'SHARDED', cfg[7]} end
if shard_mode then
  local fenced_at = tonumber(redis.call('HGET', KEYS[6], 'epoch') or '0')
  if fenced_at > tonumber(ARGV[6]) then return {'FENCED'} end
  redis.call('HSET', KEYS[6], 'epoch', ARGV[6])
end
local batch = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local wake_in_ms = -1
-- Moves the wake-up earlier to the moment `at` (a time in ms on this clock; nil: none).
local function wake_at(at)
  if not at then return end
  local delay = math.max(0, at - now)
  if wake_in_ms < 0 or delay < wake_in_ms then wake_in_ms = delay end
end
-- The lowest score of a sorted set (nil when it is empty).
local function first_score(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(first[2] or '')
end
-- The time-based wake-ups every step has: the next checkout window to end, the next queued
-- person to reach the idle timeout. A full batch of either means more of it is due now.
local function wake_for_windows_and_idle(expired_count, abandoned_count, queued_left, idle)
  if expired_count == batch or abandoned_count == batch then wake_in_ms = 0 return end
  wake_at(first_score(KEYS[3]))
  if idle and queued_left > 0 then
    local oldest_heartbeat = first_score(KEYS[4])
    if oldest_heartbeat then wake_at(oldest_heartbeat + idle * 1000) end
  end
end

local messages = 0
local function next_message_id()
  messages = messages + 1
  return ARGV[5] .. '.' .. messages
end

-- 1. Checkout windows that passed: the session expires and its slot is free again.
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, batch)
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[3], member)
  remember_checkout_end(KEYS[9], KEYS[5], ARGV[1] .. member, member, now)
  local session = end_session(ARGV[1] .. member, member, ARGV[2], 'expired', now, retention)
  outbox_append(KEYS[7], 'left', next_message_id(), now, member, session, 'expired')
end
if #expired > 0 then redis.call('HINCRBY', KEYS[5], 'expired_total', #expired) end

-- 2. Queued sessions whose owner stopped polling for idle_timeout_seconds are abandoned.
local abandoned = 0
local idle = tonumber(cfg[6] or '')
if idle then
  local idle_members = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - idle * 1000, 'LIMIT', 0, batch)
  for _, member in ipairs(idle_members) do
    redis.call('ZREM', KEYS[4], member)
    local score = redis.call('ZSCORE', KEYS[2], member)
    if score then
      redis.call('ZREM', KEYS[2], member)
      count_departure(KEYS[8], score)
      local session = end_session(ARGV[1] .. member, member, ARGV[2], 'abandoned', now, retention)
      outbox_append(KEYS[7], 'left', next_message_id(), now, member, session, 'abandoned')
      abandoned = abandoned + 1
    end
  end
  if abandoned > 0 then redis.call('HINCRBY', KEYS[5], 'abandoned_total', abandoned) end
end

local queued = redis.call('ZCARD', KEYS[2])
local opens_at = tonumber(cfg[5] or '')
if cfg[1] ~= 'open' or (opens_at and now < opens_at) then
  -- Nobody moves, so the rate estimate must not learn a zero rate from the pause.
  redis.call('HSET', KEYS[6], 'ewma_ms', now, 'refill_ms', now)
  if shard_mode and ARGV[8] ~= '' then redis.call('HSET', KEYS[6], 'ewma', ARGV[8]) end
  wake_for_windows_and_idle(#expired, abandoned, queued, idle)
  if cfg[1] == 'open' then wake_at(opens_at) end
  return {'HELD', #expired, abandoned, 0, queued, redis.call('ZCARD', KEYS[3]), redis.call('XLEN', KEYS[7]),
          wake_in_ms}
end

-- 3. Admit: within free capacity, the step size, and (if set) the token bucket of the rate.
local pace = redis.call('HMGET', KEYS[6], 'tokens', 'refill_ms', 'ewma', 'ewma_ms', 'full', 'warm_n', 'warm_t')
local capacity = tonumber(cfg[2])
local free = capacity - redis.call('ZCARD', KEYS[3])
local allowance = math.min(free, batch, queued)
local rate_per_minute = tonumber(cfg[3] or '')
local tokens
if rate_per_minute then
  -- Smooth pacing: tokens accrue continuously, at most one second's worth is banked, and the
  -- first person can go at once. No bursts once a minute.
  local burst = math.max(1, rate_per_minute / 60)
  local last_refill = tonumber(pace[2] or '') or now
  tokens = math.min(burst, (tonumber(pace[1] or '') or 1) + (now - last_refill) * rate_per_minute / 60000)
  allowance = math.min(allowance, math.floor(tokens))
end
if allowance < 0 then allowance = 0 end
if shard_mode then
  -- The admitter decided, for the whole event (capacity and rate counted over every shard).
  -- The rate's tokens were taken by the step's plan (admission-plan-1.lua).
  allowance = math.min(tonumber(ARGV[7]), queued)
  tokens = nil
end

-- How far off the wait each admitted person was told at join was (join-12.lua's `ew`), as a
-- share of the wait they had: counted in the stats hash per band (`eta_10`: within 10%, `eta_25`,
-- `eta_50`, `eta_100`, `eta_more`), for the dashboard. People told no wait are not counted.
local estimate_errors = {}
local function count_estimate_error(joined_at, told)
  joined_at, told = tonumber(joined_at or ''), tonumber(told or '')
  if not joined_at or not told then return end
  local waited = math.max(1, (now - joined_at) / 1000)
  local error_share = math.abs(told - waited) / waited
  local band = 'eta_more'
  if error_share <= 0.1 then band = 'eta_10'
  elseif error_share <= 0.25 then band = 'eta_25'
  elseif error_share <= 0.5 then band = 'eta_50'
  elseif error_share <= 1 then band = 'eta_100' end
  estimate_errors[band] = (estimate_errors[band] or 0) + 1
end

local admitted = 0
local admitted_at = now
if shard_mode then admitted_at = tonumber(ARGV[9]) or now end
if allowance > 0 then
  local deadline = admitted_at + tonumber(cfg[4]) * 1000
  local popped = redis.call('ZPOPMIN', KEYS[2], allowance)
  for i = 1, #popped, 2 do
    local member = popped[i]
    local session_key = ARGV[1] .. member
    -- What QUEUE_READY names the session by, and the wait it was told at join: one read.
    local session = session_naming(session_key, 'ew')
    count_estimate_error(session[3], session[5])
    redis.call('HSET', session_key, 'st', 'ready', 'aat', admitted_at, 'eat', deadline)
    redis.call('ZADD', KEYS[3], deadline, member)
    redis.call('ZREM', KEYS[4], member)
    outbox_append(KEYS[7], 'ready', next_message_id(), admitted_at, member, session, deadline)
    admitted = admitted + 1
  end
  redis.call('HINCRBY', KEYS[5], 'admitted_total', admitted)
  for field, count in pairs(estimate_errors) do redis.call('HINCRBY', KEYS[5], field, count) end
  fold_flow_behind_head(KEYS[8], KEYS[2])
end
if tokens then redis.call('HSET', KEYS[6], 'tokens', tokens - admitted, 'refill_ms', now) end

-- 4. Admission-rate estimate (people per second), learned only while someone is waiting, from
-- what bound this step's admissions:
--   * the rate (the token bucket was the tightest limit): the rate is the configured one, so
--     the estimate is exactly that, from the first step of the sale (no ramp from nothing);
--   * capacity (free slots were the limit, and the event was full after the previous step):
--     each admission took a slot that a checkout freed since then, so admitted / dt samples the
--     completion rate. The samples of the first RATE_ESTIMATE_TAU_SECONDS are averaged over
--     their whole time (no single tick's noise), then the moving average takes over. Steps
--     after which the event was not full (the opening burst into empty slots, a queue that ran
--     out) say nothing about the completion rate and are not learned from;
--   * anything else (the step size): the moving average, as before.
if shard_mode then
  -- The admitter learns the event's rate; each shard keeps a copy for its joins and polls.
  if ARGV[8] ~= '' then redis.call('HSET', KEYS[6], 'ewma', ARGV[8], 'ewma_ms', now) end
  local active_count = redis.call('ZCARD', KEYS[3])
  wake_for_windows_and_idle(#expired, abandoned, queued - admitted, idle)
  return {'OK', #expired, abandoned, admitted, queued - admitted, active_count, redis.call('XLEN', KEYS[7]),
          wake_in_ms}
end
local full_before = pace[5] == '1'
local full_after = free - admitted <= 0
redis.call('HSET', KEYS[6], 'full', full_after and '1' or '0')
local function learned(estimate)
  redis.call('HSET', KEYS[6], 'ewma', estimate, 'ewma_ms', now)
end
local last = tonumber(pace[4] or '')
-- A gap longer than a few ticks means no scheduler ran (deploy, outage): nothing was learned
-- about the rate in it, so it restarts the measurement instead of reading as a near-zero rate.
local dt = (last and now > last and now - last <= RATE_ESTIMATE_MAX_GAP_MS) and (now - last) / 1000 or nil
local rate_bound = tokens ~= nil and math.floor(tokens) < math.min(free, batch, queued)
local capacity_bound = not rate_bound and free <= math.min(batch, queued)
local estimate = tonumber(pace[3] or '')
if queued == 0 then
  redis.call('HSET', KEYS[6], 'ewma_ms', now)
elseif rate_bound then
  learned(rate_per_minute / 60)
elseif not dt then
  redis.call('HSET', KEYS[6], 'ewma_ms', now)
elseif capacity_bound then
  if not full_before then
    redis.call('HSET', KEYS[6], 'ewma_ms', now)
  else
    local warm_t = tonumber(pace[7] or '') or 0
    if warm_t < RATE_ESTIMATE_TAU_SECONDS then
      local warm_n = (tonumber(pace[6] or '') or 0) + admitted
      warm_t = warm_t + dt
      redis.call('HSET', KEYS[6], 'warm_n', warm_n, 'warm_t', warm_t)
      -- A second of samples at least before the average replaces an estimate.
      if warm_t >= 1 or not estimate then learned(warm_n / warm_t) else redis.call('HSET', KEYS[6], 'ewma_ms', now) end
    else
      local before = estimate or admitted / dt
      learned(before + (1 - math.exp(-dt / RATE_ESTIMATE_TAU_SECONDS)) * (admitted / dt - before))
    end
  end
else
  local instant = admitted / dt
  if not estimate then
    estimate = instant
    if rate_per_minute then estimate = math.min(estimate, rate_per_minute / 60) end
  else
    estimate = estimate + (1 - math.exp(-dt / RATE_ESTIMATE_TAU_SECONDS)) * (instant - estimate)
  end
  learned(estimate)
end

-- 5. When the next step is due. Someone still queued with a free slot waits for a token (or
-- for the next step, when the batch was the limit); without a free slot, for a window to end
-- (or a checkout outcome, which wakes the event where it is consumed).
local active_count = redis.call('ZCARD', KEYS[3])
local queued_left = queued - admitted
wake_for_windows_and_idle(#expired, abandoned, queued_left, idle)
if queued_left > 0 and active_count < tonumber(cfg[2]) then
  if admitted == batch or not tokens then
    wake_in_ms = 0
  else
    local tokens_left = tokens - admitted
    wake_at(now + math.max(0, 1 - tokens_left) * 60000 / rate_per_minute)
  end
end

return {'OK', #expired, abandoned, admitted, queued_left, active_count, redis.call('XLEN', KEYS[7]), wake_in_ms}
