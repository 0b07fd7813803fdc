-- Appends one sample of an event's live counts and totals to its history stream: the short,
-- bounded time series behind the operator dashboard's charts (history/). Nothing is written for
-- an event that does not exist (removed meanwhile), so a late sample never brings back the
-- history of a removed event.
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] stats hash
-- KEYS[5] history stream
-- ARGV[1] window in ms: older samples are trimmed (approximately: whole stream nodes, so a few
--         more may stay), and the key expires this long after the last sample
-- Returns 1 if a sample was appended, 0 if the event does not exist.
-- The entry's id is the sample's time (Redis's clock, ms); its fields are
-- q queue length, a active count, then the totals j joined, ad admitted, c completed, f failed,
-- e expired, l left, ab abandoned.
-- @include clock

if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local window = tonumber(ARGV[1])
local totals = redis.call('HMGET', KEYS[4], 'joined_total', 'admitted_total', 'completed_total',
  'failed_total', 'expired_total', 'left_total', 'abandoned_total')
for i = 1, 7 do totals[i] = totals[i] or 0 end
redis.call('XADD', KEYS[5], 'MINID', '~', now_ms() - window, '*',
  'q', redis.call('ZCARD', KEYS[2]), 'a', redis.call('ZCARD', KEYS[3]),
  'j', totals[1], 'ad', totals[2], 'c', totals[3], 'f', totals[4], 'e', totals[5], 'l', totals[6],
  'ab', totals[7])
redis.call('PEXPIRE', KEYS[5], window)
return 1
