-- Join an event's queue: one live place per (user, event), idempotent. With passthrough_when_free,
-- a new place is admitted at once while nobody is queued and capacity and rate allow: decided here,
-- atomically with the admission step's own checks, so no number of instances admits past capacity.
-- KEYS[1] event config hash     KEYS[2] queue zset          KEYS[3] sequence counter
-- KEYS[4] user index string     KEYS[5] stats hash          KEYS[6] outbox stream
-- KEYS[7] heartbeat zset        KEYS[8] rate-limit counter  KEYS[9] pace hash (admission rate estimate)
-- KEYS[10] flow hash (joins that land ahead of people already queued, per flow bucket)
-- KEYS[11] used-proof string of this join's proof of work (written only for a new place at a bot-checked event)
-- KEYS[12] active zset (admitted member ids, score = checkout deadline): for passthrough_when_free
-- ARGV[1] new member id (random)  ARGV[2] session key prefix  ARGV[3] user_id  ARGV[4] priority 0..9
-- ARGV[5] message id for QUEUE_JOINED (a join admitted at once: QUEUE_READY's is it .. '.ready')
-- ARGV[6] outbox limit  ARGV[7] joins per client per minute (0 = off)
-- ARGV[8] the proof of work, as checked by the caller: none | valid | invalid | exempt (trusted caller)
-- ARGV[9] ms the used proof is remembered (until its challenge has expired everywhere; 0 unless valid)
-- ARGV[10] the identity token, as checked by the caller against the key it knows for the event:
--          none | invalid | exempt (trusted caller) | valid:<sha1 hex of the config's identity_jwk>
-- ARGV[11] the event's number of shards as the caller routed the join ('1': unsharded)
-- ARGV[12] a sharded event's join: its queue score, from the event's arrival sequence (arrive-2.lua)
-- ARGV[13] a sharded event's join: people the other shards can have queued ahead of it, at most
--          (queue/shard-ranks.ts: their samples, plus every join since the samples were read)
-- ARGV[14] a sharded event's plain arrival: the score from which ARGV[13] counted joins by their
--          number ('' for other joins); the ones that landed in this shard come off it.
--          The place told (reply, QUEUE_JOINED, the wait) is the shard's plus what remains: never
--          below the event's exact place, so the places polls then give never rise above it.
-- ARGV[15] a sharded event's join: shard 0's config updated_at as arrive-2.lua read it; a copy
--          here older than that (a change not copied yet) is answered SHARDS, to be copied first.
-- Returns {code, ...}: code is CREATED | EXISTING | RATE_LIMITED | EVENT_NOT_FOUND | EVENT_CLOSED | OUTBOX_FULL
--                      | PROOF_REQUIRED | PROOF_INVALID | IDENTITY_REQUIRED | IDENTITY_INVALID,
--                      or SHARDS with the event's number of shards when it is not ARGV[11].
-- A shard of a sharded event holds a copy of the event's config (copy-config-1.lua); a join there
-- is never admitted at once (passthrough_when_free: the admission step admits it, as capacity
-- and rate are the whole event's), and its baseline ends with its score (the other shards' people
-- ahead of it are counted by score: live/shard-ranks.ts). EXISTING replies carry the place in the
-- shard alone: the caller adds the other shards'.
-- CREATED/EXISTING: {code, member, user_id, priority, status, joined_at_ms, admitted_at_ms, expires_at_ms,
--                    position, queue_length, admission_rate_estimate, state, opens_at_ms, baseline}
-- `baseline` ('' for sessions of events created before tickets): the position and counters at the
-- moment of joining, "position.admitted_total.bucket.departures_before.joins_before.departures_at.
-- joins_at", kept in the session (`b`) so every reply and message names the session by the same
-- id, whose ticket carries it (waitroom/session-ticket.ts).
-- @include clock
-- @include queue-order
-- @include outbox

local now = now_ms()

local limit = tonumber(ARGV[7])
if limit > 0 then
  local count = redis.call('INCR', KEYS[8])
  if count == 1 then redis.call('PEXPIRE', KEYS[8], 60000) end
  if count > limit then return {'RATE_LIMITED', redis.call('PTTL', KEYS[8])} end
end

local cfg = redis.call('HMGET', KEYS[1], 'state', 'opens_at', 'shuffle', 'salt', 'idle', 'bot_check', 'tickets',
                      'identity_jwk', 'passthrough', 'capacity', 'rate', 'timeout', 'shards', 'updated_at')
local state = cfg[1]
if not state then return {'EVENT_NOT_FOUND'} end
local shards = cfg[13] or '1'
if shards ~= ARGV[11] then return {'SHARDS', shards} end
local sharded = shards ~= '1'
if sharded and (tonumber(cfg[14] or '0') or 0) < (tonumber(ARGV[15] or '') or 0) then return {'SHARDS', shards} end

-- Identity: the site vouches for the user id. Checked before anything answers with a session,
-- a re-join included: a live place's session id is its holder's capability. The token's
-- signature and claims were checked by the caller, against the key it read for the event; that
-- the key is the event's key now is decided here (its digest), so a changed key is never honoured.
local identity_jwk = cfg[8]
if identity_jwk and identity_jwk ~= '' and ARGV[10] ~= 'exempt' then
  if ARGV[10] == 'none' then return {'IDENTITY_REQUIRED'} end
  if ARGV[10] ~= 'valid:' .. redis.sha1hex(identity_jwk) then return {'IDENTITY_INVALID'} end
end

local function describe(code, member)
  local session_key = ARGV[2] .. member
  local s = redis.call('HMGET', session_key, 'uid', 'prio', 'st', 'jat', 'aat', 'eat', 'b')
  local position, queue_length = false, redis.call('ZCARD', KEYS[2])
  if s[3] == 'queued' then position = redis.call('ZRANK', KEYS[2], member) + 1 end
  local rate = redis.call('HGET', KEYS[9], 'ewma') or ''
  return {code, member, s[1], s[2], s[3], s[4], s[5] or '', s[6] or '', position or '', queue_length, rate,
          state, cfg[2] or '', s[7] or ''}
end

-- One live place per person: a queued or ready session is returned as it is (200, not 201).
local existing = redis.call('GET', KEYS[4])
if existing then
  local status = redis.call('HGET', ARGV[2] .. existing, 'st')
  if status == 'queued' or status == 'ready' then
    if cfg[5] and status == 'queued' then redis.call('ZADD', KEYS[7], now, existing) end
    return describe('EXISTING', existing)
  end
end

if state == 'closed' then return {'EVENT_CLOSED'} end
if redis.call('XLEN', KEYS[6]) >= tonumber(ARGV[6]) then return {'OUTBOX_FULL'} end

-- Bot check: a new place costs one solved challenge, and a challenge buys one place. The proof's
-- signature, expiry and event were checked by the caller; that it was never used before is
-- decided here, in the event's slot, so it holds across instances. Checked last, so a join
-- refused for another reason (closed, outbox full) leaves the proof unused.
if cfg[6] == 'pow' and ARGV[8] ~= 'exempt' then
  if ARGV[8] == 'none' then return {'PROOF_REQUIRED'} end
  if ARGV[8] ~= 'valid' then return {'PROOF_INVALID'} end
  if not redis.call('SET', KEYS[11], '1', 'NX', 'PX', ARGV[9]) then return {'PROOF_INVALID'} end
end

local member, user_id, priority = ARGV[1], ARGV[3], tonumber(ARGV[4])
local score
local opens_at = tonumber(cfg[2] or '')
if sharded then
  score = tonumber(ARGV[12])
elseif cfg[3] == '1' and opens_at and now < opens_at then
  redis.call('INCR', KEYS[3])
  score = pre_open_score(priority, cfg[4] or '', user_id)
else
  score = arrival_score(priority, redis.call('INCR', KEYS[3]))
end
local ahead_elsewhere = 0
if sharded then
  local own_joins_since = 0
  if ARGV[14] ~= '' then
    own_joins_since = redis.call('ZCOUNT', KEYS[2], ARGV[14], '(' .. string.format('%.0f', score))
  end
  ahead_elsewhere = math.max(0, tonumber(ARGV[13]) - own_joins_since)
end

-- passthrough_when_free: nobody queued, the event open (and opened), a free checkout slot and a
-- token of the admission rate's bucket (the admission step's bucket: admission-tick-9.lua).
local deadline = nil
if cfg[9] == '1' and not sharded and state == 'open' and not (opens_at and now < opens_at)
   and redis.call('ZCARD', KEYS[2]) == 0
   and redis.call('ZCARD', KEYS[12]) < tonumber(cfg[10]) then
  local rate_per_minute = tonumber(cfg[11] or '')
  local admit = true
  if rate_per_minute then
    local pace = redis.call('HMGET', KEYS[9], 'tokens', 'refill_ms')
    local burst = math.max(1, rate_per_minute / 60)
    local last_refill = tonumber(pace[2] or '') or now
    local tokens = math.min(burst, (tonumber(pace[1] or '') or 1) + (now - last_refill) * rate_per_minute / 60000)
    if tokens >= 1 then
      redis.call('HSET', KEYS[9], 'tokens', tokens - 1, 'refill_ms', now)
    else
      admit = false
    end
  end
  if admit then deadline = now + tonumber(cfg[12]) * 1000 end
end

local position, queue_length
if deadline then
  -- Admitted at once: never queued. Its ticket's baseline reads as the head of an empty queue
  -- taken by the next admission (this one), so a poll of its id goes to the session itself.
  position = 1
else
  redis.call('ZADD', KEYS[2], score, member)
  -- A priority or pre-open join can land ahead of people already queued: the live positions
  -- (waitroom/queue-flow.ts) count it. A plain arrival is behind everyone and is not counted: it
  -- is last in the queue, so its place is the queue's length.
  queue_length = redis.call('ZCARD', KEYS[2])
  position = queue_length
  if priority > 0 or score < arrival_score(priority, 0) then
    count_join_ahead(KEYS[10], score)
    position = redis.call('ZRANK', KEYS[2], member) + 1
  end
end
-- The place told (reply, QUEUE_JOINED, the wait): the event's; the baseline keeps the shard's.
local told_position = position + ahead_elsewhere
-- Events created before session tickets lack the band totals the baseline needs: no ticket.
local session = {'uid', user_id, 'prio', priority, 'st', 'queued', 'jat', now}
-- The wait this join is told (estimated-wait.ts: the place over the admission-rate estimate,
-- while the event moves), kept so the admission can say how far off it was (admission-tick-9.lua).
local rate_estimate = redis.call('HGET', KEYS[9], 'ewma') or ''
local moving = state == 'open' and not (opens_at and now < opens_at)
if moving and not deadline and (tonumber(rate_estimate) or 0) > 0 then
  session[#session + 1] = 'ew'
  session[#session + 1] = math.ceil(told_position / tonumber(rate_estimate))
end
local baseline = ''
if cfg[7] then
  baseline = position .. '.' .. (redis.call('HGET', KEYS[5], 'admitted_total') or '0') .. '.' ..
             flow_baseline(KEYS[10], score)
  if sharded then baseline = baseline .. '.' .. string.format('%.0f', score) end
  session[#session + 1] = 'b'
  session[#session + 1] = baseline
end
if deadline then
  session[6] = 'ready'
  session[#session + 1] = 'aat'
  session[#session + 1] = now
  session[#session + 1] = 'eat'
  session[#session + 1] = deadline
end
redis.call('HSET', ARGV[2] .. member, unpack(session))
redis.call('SET', KEYS[4], member)
if cfg[5] and not deadline then redis.call('ZADD', KEYS[7], now, member) end
redis.call('HINCRBY', KEYS[5], 'joined_total', 1)

outbox_append(KEYS[6], 'joined', ARGV[5], now, member, {user_id, priority, now, baseline}, told_position)
if deadline then
  redis.call('ZADD', KEYS[12], deadline, member)
  redis.call('HINCRBY', KEYS[5], 'admitted_total', 1)
  -- Its message id follows the join's, as the admission step numbers its messages after a prefix.
  outbox_append(KEYS[6], 'ready', ARGV[5] .. '.ready', now, member, {user_id, priority, now, baseline}, deadline)
end

-- Admitted at once (rare: the event was free): read back as an existing session is.
if deadline then return describe('CREATED', member) end
-- Queued: what describe() would read back, from what this join just wrote.
return {'CREATED', member, user_id, priority, 'queued', now, '', '', told_position, queue_length,
        rate_estimate, state, cfg[2] or '', baseline}
