-- Removes a closed event, a bounded slice per call: every queued or ready session ends as `left`
-- (left_reason `removed`) with one QUEUE_LEFT (reason `removed`), then the event's state goes.
-- Called again while it answers MORE, so a huge queue never holds Redis for long. Sessions stay
-- readable until their retention ends; the outbox stays until the relay has published it (trim-outbox drops it then).
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] heartbeat zset
-- KEYS[5] stats hash  KEYS[6] outbox stream  KEYS[7] sequence counter  KEYS[8] pace hash
-- KEYS[9] history stream     KEYS[10] flow hash  KEYS[11] audit list
-- ARGV[1] session key prefix  ARGV[2] user index key prefix  ARGV[3] retention seconds
-- ARGV[4] most sessions ended per call  ARGV[5] message id prefix (unique per call)
-- ARGV[6] actor (the key's name)  ARGV[7] audit cap
-- The last slice records the removal in the audit log (action `delete`), which then stays
-- readable for the retention period, like the sessions; a new event of the same id keeps it.
-- Returns {'NOT_FOUND'} | {'NOT_CLOSED', state} | {'MORE', ended} | {'REMOVED', ended}
-- @include clock
-- @include end-session
-- @include outbox
-- @include audit

local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'NOT_FOUND'} end
if state ~= 'closed' then return {'NOT_CLOSED', state} end

local now = now_ms()
local retention = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local ended = 0
for _, set in ipairs({KEYS[2], KEYS[3]}) do
  local members = redis.call('ZRANGE', set, 0, budget - ended - 1)
  for _, member in ipairs(members) do
    redis.call('ZREM', set, member)
    redis.call('ZREM', KEYS[4], member)
    local session = end_session(ARGV[1] .. member, member, ARGV[2], 'left', now, retention)
    redis.call('HSET', ARGV[1] .. member, 'lr', 'removed')
    ended = ended + 1
    outbox_append(KEYS[6], 'left', ARGV[5] .. '.' .. ended, now, member, session, 'removed')
  end
  if ended >= budget then
    if ended > 0 then redis.call('HINCRBY', KEYS[5], 'left_total', ended) end
    return {'MORE', ended}
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8], KEYS[9], KEYS[10])
audit_append(KEYS[11], tonumber(ARGV[7]), now, ARGV[6], 'delete', {state = {'closed', ''}})
redis.call('EXPIRE', KEYS[11], retention)
return {'REMOVED', ended}
