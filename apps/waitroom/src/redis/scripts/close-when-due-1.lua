-- Closes an event whose closes_at has come, by Redis's clock, once: the event becomes `closed`
-- and closes_at is dropped, so a later reopen is not closed again. Every instance may run it for
-- the same event at the same moment (scheduled-closes.ts); the first one closes, the others find
-- nothing to do.
-- KEYS[1] event config hash
-- Returns {'NONE'} (no closes_at: removed, or already applied) | {'LATER', closes_at_ms}
--         | {'CLOSED'} | {'WAS_CLOSED'} (it was closed already; closes_at dropped all the same)
-- @include clock

local closes = redis.call('HGET', KEYS[1], 'closes_at')
if not closes then return {'NONE'} end
local now = now_ms()
if tonumber(closes) > now then return {'LATER', closes} end
redis.call('HDEL', KEYS[1], 'closes_at')
if redis.call('HGET', KEYS[1], 'state') == 'closed' then return {'WAS_CLOSED'} end
redis.call('HSET', KEYS[1], 'state', 'closed', 'updated_at', now)
return {'CLOSED'}
