-- Leave: a queued session leaves the queue, a ready one frees its checkout slot. Idempotent:
-- a session already ended answers with its status and publishes nothing.
-- KEYS[1] session hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] heartbeat zset
-- KEYS[5] stats hash    KEYS[6] outbox stream  KEYS[7] flow hash
-- KEYS[8] ended-checkouts zset (a ready session's leave ends its gate pass: includes/checkout-end.lua)
-- ARGV[1] member id  ARGV[2] user index key prefix  ARGV[3] message id  ARGV[4] retention seconds
-- Returns {'NOT_FOUND'} | {'LEFT', 'left'} | {'UNCHANGED', status}
-- @include clock
-- @include end-session
-- @include checkout-end
-- @include outbox
-- @include queue-order

local status = redis.call('HGET', KEYS[1], 'st')
if not status then return {'NOT_FOUND'} end
if status ~= 'queued' and status ~= 'ready' then return {'UNCHANGED', status} end

local now = now_ms()
if status == 'queued' then count_departure(KEYS[7], redis.call('ZSCORE', KEYS[2], ARGV[1])) end
if status == 'ready' then remember_checkout_end(KEYS[8], KEYS[5], KEYS[1], ARGV[1], now) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
local session = end_session(KEYS[1], ARGV[1], ARGV[2], 'left', now, tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[5], 'left_total', 1)
outbox_append(KEYS[6], 'left', ARGV[3], now, ARGV[1], session, 'user')
return {'LEFT', 'left'}
