-- Appends one sample of an event's live counts and totals to its history stream: the short,
-- bounded time series behind the operator dashboard's charts (history/). Nothing is written for
-- an event that does not exist (removed meanwhile), so a late sample never brings back the
-- history of a removed event.
-- KEYS[1] event config hash  KEYS[2] queue zset  KEYS[3] active zset  KEYS[4] stats hash
-- KEYS[5] history stream
-- ARGV[1] window in ms: older samples are trimmed (approximately: whole stream nodes, so a few
--         more may stay), and the key expires this long after the last sample
-- ARGV[2] '' (a sample of this event's own counts), 'read' (this shard's counts, returned and not
--         written) or 'sum' (the sample is ARGV[3..11], the sums over a sharded event's shards)
-- Returns 1 if a sample was appended, 0 if the event does not exist; {'SHARDED', shards} for a
-- sharded event's shard 0 sampled alone (its sample is the sum over its shards: history.repository.ts);
-- 'read': {q, a, j, ad, c, f, e, l, ab}, or {} without the event.
-- The entry's id is the sample's time (Redis's clock, ms); its fields are
-- q queue length, a active count, then the totals j joined, ad admitted, c completed, f failed,
-- e expired, l left, ab abandoned.
-- @include clock

local config = redis.call('HMGET', KEYS[1], 'state', 'shards')
if not config[1] then
  if ARGV[2] == 'read' then return {} end
  return 0
end
local mode = ARGV[2] or ''
if mode == '' and config[2] then return {'SHARDED', config[2]} end
local values
if mode == 'sum' then
  values = {}
  for i = 3, 11 do values[#values + 1] = ARGV[i] end
else
  local totals = redis.call('HMGET', KEYS[4], 'joined_total', 'admitted_total', 'completed_total',
    'failed_total', 'expired_total', 'left_total', 'abandoned_total')
  values = {redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
  for i = 1, 7 do values[#values + 1] = tonumber(totals[i] or '0') end
  if mode == 'read' then return values end
end
local window = tonumber(ARGV[1])
redis.call('XADD', KEYS[5], 'MINID', '~', now_ms() - window, '*',
  'q', values[1], 'a', values[2], 'j', values[3], 'ad', values[4], 'c', values[5], 'f', values[6],
  'e', values[7], 'l', values[8], 'ab', values[9])
redis.call('PEXPIRE', KEYS[5], window)
return 1
