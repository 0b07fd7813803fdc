-- A streamed session read directly, with the event's progress in the same atomic step, so the
-- stream can follow the position from later progress snapshots (waitroom/queue-flow.ts). Not a
-- heartbeat: streams send theirs in batches (heartbeat-1.lua).
-- KEYS[1] session hash  KEYS[2] event config hash  KEYS[3] queue zset  KEYS[4] pace hash
-- KEYS[5] stats hash    KEYS[6] flow hash
-- ARGV[1] member id
-- Returns {'NOT_FOUND'} or {'OK', member, user_id, priority, status, joined_at_ms, admitted_at_ms,
--          expires_at_ms, position, queue_length, admission_rate_estimate, state, opens_at_ms, baseline,
--          score, admitted_total, idle_timeout_seconds, flow field/value list, left_reason, event message}
-- (left_reason and the message as in get-session-5.lua)
local s = redis.call('HMGET', KEYS[1], 'uid', 'prio', 'st', 'jat', 'aat', 'eat', 'b', 'lr')
if not s[3] then return {'NOT_FOUND'} end
local cfg = redis.call('HMGET', KEYS[2], 'state', 'opens_at', 'idle', 'msg')
local position, score = '', ''
if s[3] == 'queued' then
  local rank = redis.call('ZRANK', KEYS[3], ARGV[1])
  if rank then
    position = rank + 1
    score = redis.call('ZSCORE', KEYS[3], ARGV[1])
  end
end
return {'OK', ARGV[1], s[1], s[2], s[3], s[4], s[5] or '', s[6] or '', position, redis.call('ZCARD', KEYS[3]),
        redis.call('HGET', KEYS[4], 'ewma') or '', cfg[1] or '', cfg[2] or '', s[7] or '',
        score, redis.call('HGET', KEYS[5], 'admitted_total') or '0', cfg[3] or '', redis.call('HGETALL', KEYS[6]),
        s[8] or '', cfg[4] or ''}
