-- The pre-queue draw of an event, for GET /events/:id/draw. Whether the seed may be revealed is
-- decided here by Redis's clock, the clock join-10.lua uses to decide who is drawn, so no join
-- can still get a drawn place once the seed is public.
-- KEYS[1] event config hash
-- Returns {'NOT_FOUND'} | {'NO_DRAW'} (shuffle_at_open off) |
--         {'DRAW', opens_at_ms or '', seed, revealed 1|0} (the caller publishes only sha256(seed) until revealed)
-- @include clock

local cfg = redis.call('HMGET', KEYS[1], 'state', 'shuffle', 'opens_at', 'salt')
if not cfg[1] then return {'NOT_FOUND'} end
if cfg[2] ~= '1' then return {'NO_DRAW'} end
local opens_at = tonumber(cfg[3] or '')
local revealed = (opens_at and now_ms() >= opens_at) and 1 or 0
return {'DRAW', cfg[3] or '', cfg[4] or '', revealed}
