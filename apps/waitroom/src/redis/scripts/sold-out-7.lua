-- Sold out, a bounded slice per call: the event becomes `closed`, the operator's message (when
-- given) becomes the event's message, and queued sessions end as `left` with left_reason
-- `sold_out` and one QUEUE_LEFT (reason `sold_out`) each. `ready` sessions keep their checkout
-- window. Called again while it answers MORE, so a huge queue never holds Redis for long (the
-- way remove-event-11.lua ends sessions); each slice is atomic on its own. Repeating it ends
-- nobody twice: an ended session is out of the queue. Every departure is counted in the flow
-- hash like a leave, so live positions (polls, streams) of those still queued between two
-- slices stay exact, and each ended session's own bucket changes, which sends its polls and
-- streams to read it directly (live/queue-flow.ts).
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] heartbeat zset  KEYS[4] stats hash
-- KEYS[5] outbox stream      KEYS[6] flow hash  KEYS[7] audit list
-- ARGV[1] session key prefix  ARGV[2] user index key prefix  ARGV[3] retention seconds
-- ARGV[4] most sessions ended per call  ARGV[5] message id prefix (unique per call)
-- ARGV[6] '1': set the event's message to ARGV[7] ('' clears it); '0': keep it
-- ARGV[8] actor (the key's name)  ARGV[9] audit cap
-- ARGV[10] '1' on the request's first slice: it records the audit entry (action `sold_out`, the
--          state and message changes), so one request is one entry however many slices it takes
-- ARGV[11] '1' in a shard other than 0 of a sharded event: its queue ends, while its config (a copy
--          of shard 0's, copied closed before this runs: queue.repository.ts) and the audit are left alone
-- Returns {'NOT_FOUND'} | {'MORE', ended} | {'DONE', ended}
-- @include clock
-- @include end-session
-- @include outbox
-- @include queue-order
-- @include audit

if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_FOUND'} end

local now = now_ms()
if ARGV[11] ~= '1' then
  local before = redis.call('HMGET', KEYS[1], 'state', 'msg')
  local changes = {}
  if before[1] ~= 'closed' then changes.state = {before[1] or '', 'closed'} end
  redis.call('HSET', KEYS[1], 'state', 'closed', 'updated_at', now)
  if ARGV[6] == '1' then
    if (before[2] or '') ~= ARGV[7] then changes.msg = {before[2] or '', ARGV[7]} end
    if ARGV[7] == '' then redis.call('HDEL', KEYS[1], 'msg')
    else redis.call('HSET', KEYS[1], 'msg', ARGV[7]) end
  end
  if ARGV[10] == '1' then audit_append(KEYS[7], tonumber(ARGV[9]), now, ARGV[8], 'sold_out', changes) end
end

local retention = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local members = redis.call('ZRANGE', KEYS[2], 0, budget - 1, 'WITHSCORES')
local ended = 0
for i = 1, #members, 2 do
  local member = members[i]
  count_departure(KEYS[6], members[i + 1])
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], member)
  local session_key = ARGV[1] .. member
  local session = end_session(session_key, member, ARGV[2], 'left', now, retention)
  redis.call('HSET', session_key, 'lr', 'sold_out')
  ended = ended + 1
  outbox_append(KEYS[5], 'left', ARGV[5] .. '.' .. ended, now, member, session, 'sold_out')
end
if ended > 0 then redis.call('HINCRBY', KEYS[4], 'left_total', ended) end
if ended >= budget and redis.call('ZCARD', KEYS[2]) > 0 then return {'MORE', ended} end
return {'DONE', ended}
