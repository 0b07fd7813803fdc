-- Reads an event's history (history-sample-5.lua writes it): the samples taken after `since`
-- within the window, and the last one before them, so that the first returned sample's rates
-- can be computed from differences of the totals.
-- KEYS[1] event config hash  KEYS[2] history stream
-- ARGV[1] since, epoch ms: only samples taken later are returned (0: the whole window)
-- ARGV[2] window in ms: samples older than this are never returned
-- Returns {'NOT_FOUND'} | {'OK', previous, samples}, where previous is {} or one stream entry and
-- samples a list of stream entries, each {id, {field, value, ...}}.
-- @include clock

if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_FOUND'} end
local from = math.max(tonumber(ARGV[1]) + 1, now_ms() - tonumber(ARGV[2]))
local previous = redis.call('XREVRANGE', KEYS[2], from - 1, '-', 'COUNT', 1)
return {'OK', previous[1] or {}, redis.call('XRANGE', KEYS[2], from, '+')}
