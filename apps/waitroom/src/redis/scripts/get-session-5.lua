-- Read a session with its live position; for a queued session this is also its heartbeat.
-- KEYS[1] session hash  KEYS[2] event config hash  KEYS[3] queue zset  KEYS[4] heartbeat zset
-- KEYS[5] pace hash
-- ARGV[1] member id
-- Returns {'NOT_FOUND'} or {'OK', member, user_id, priority, status, joined_at_ms, admitted_at_ms,
--          expires_at_ms, position, queue_length, admission_rate_estimate, state, opens_at_ms, baseline,
--          left_reason, event message}
-- (baseline: see join-12.lua; left_reason: the session's `lr`, set by sold-out and removal; the
-- message: the event's `msg`, the operator's message to everyone waiting)
-- @include clock

local s = redis.call('HMGET', KEYS[1], 'uid', 'prio', 'st', 'jat', 'aat', 'eat', 'b', 'lr')
if not s[3] then return {'NOT_FOUND'} end
local cfg = redis.call('HMGET', KEYS[2], 'state', 'opens_at', 'idle', 'msg')
local position = ''
if s[3] == 'queued' then
  local rank = redis.call('ZRANK', KEYS[3], ARGV[1])
  if rank then position = rank + 1 end
  if cfg[3] then redis.call('ZADD', KEYS[4], now_ms(), ARGV[1]) end
end
return {'OK', ARGV[1], s[1], s[2], s[3], s[4], s[5] or '', s[6] or '', position, redis.call('ZCARD', KEYS[3]),
        redis.call('HGET', KEYS[5], 'ewma') or '', cfg[1] or '', cfg[2] or '', s[7] or '', s[8] or '', cfg[4] or ''}
