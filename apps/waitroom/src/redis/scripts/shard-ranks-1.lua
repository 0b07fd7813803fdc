-- One shard's queue as the other shards' positions see it (docs/decisions/0023-sharded-events.md):
-- its length and the scores found at a fixed set of ranks, every rank up to ARGV[1] and then
-- steps of ARGV[2] of the rank (at least 1). The set does not depend on the queue, so the rank
-- read for a score (the first sampled rank whose score is not below it) never rises while the
-- queue ahead of that score only shrinks, and overstates the people ahead by less than ARGV[2]
-- of them (queue/shard-ranks.ts). It costs one ZRANGE per sampled rank: about ARGV[1] plus
-- ln(length / ARGV[1]) / ARGV[2] of them, whatever the queue's length.
-- KEYS[1] the shard's queue zset
-- ARGV[1] ranks read one by one  ARGV[2] the step beyond them, as a share of the rank
-- Returns {length, now_ms, rank, score, rank, score, ...} (scores as decimal strings): the time
-- says which joins the sample cannot have seen.
-- @include clock
local length = redis.call('ZCARD', KEYS[1])
local exact, step = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {length, now_ms()}
local rank = 0
while rank < length do
  local item = redis.call('ZRANGE', KEYS[1], rank, rank, 'WITHSCORES')
  out[#out + 1] = rank
  out[#out + 1] = item[2]
  if rank < exact then rank = rank + 1 else rank = rank + math.max(1, math.floor(rank * step)) end
end
return out
