-- Checkout reported an outcome for an admitted session: it ends and its slot is freed.
-- Only a `ready` session changes; a redelivered message, or one for a session in any other
-- status, changes nothing (the consumer is idempotent without remembering message ids).
-- KEYS[1] session hash  KEYS[2] active zset  KEYS[3] stats hash  KEYS[4] outbox stream
-- KEYS[5] ended-checkouts zset (what the gate reads: includes/checkout-end.lua)
-- ARGV[1] member id  ARGV[2] outcome: completed | failed | expired  ARGV[3] user index key prefix
-- ARGV[4] message id (QUEUE_LEFT, for expired only)  ARGV[5] retention seconds
-- Returns {'NOT_FOUND'} | {'APPLIED', outcome} | {'UNCHANGED', status}
-- @include clock
-- @include end-session
-- @include checkout-end
-- @include outbox

local status = redis.call('HGET', KEYS[1], 'st')
if not status then return {'NOT_FOUND'} end
if status ~= 'ready' then return {'UNCHANGED', status} end

local now = now_ms()
local outcome = ARGV[2]
redis.call('ZREM', KEYS[2], ARGV[1])
remember_checkout_end(KEYS[5], KEYS[3], KEYS[1], ARGV[1], now)
local session = end_session(KEYS[1], ARGV[1], ARGV[3], outcome, now, tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[3], outcome .. '_total', 1)
if outcome == 'expired' then
  outbox_append(KEYS[4], 'left', ARGV[4], now, ARGV[1], session, 'expired')
end
return {'APPLIED', outcome}
