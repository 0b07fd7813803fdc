-- Heartbeats of the queued sessions one instance streams, in one call per event: each member
-- still in the heartbeat set gets Redis's clock as its score (XX: a session that left, was
-- admitted or was abandoned meanwhile is not brought back).
-- KEYS[1] heartbeat zset
-- ARGV member ids
-- Returns how many were refreshed.
-- @include clock
local now = now_ms()
local refreshed = 0
for i = 1, #ARGV, 500 do
  local batch = {}
  for j = i, math.min(i + 499, #ARGV) do
    batch[#batch + 1] = now
    batch[#batch + 1] = ARGV[j]
  end
  refreshed = refreshed + redis.call('ZADD', KEYS[1], 'XX', 'CH', unpack(batch))
end
return refreshed
