-- The first half of a join of a sharded event, in its shard 0 (docs/decisions/0023-sharded-events.md):
-- the per-address join limit, the proof of work's single use, and the join's queue score from the
-- event's one arrival sequence, so that arrival order holds across shards whatever their masters.
-- The second half is join-12.lua in the user's shard, given this score.
-- KEYS[1] shard 0's config hash  KEYS[2] the event's join sequence counter
-- KEYS[3] rate-limit counter of the client address  KEYS[4] used-proof string of the join's proof
-- ARGV[1] user_id  ARGV[2] priority 0..9  ARGV[3] joins per client per minute (0 = off)
-- ARGV[4] the proof of work, as checked by the caller: none | valid | invalid | exempt
-- ARGV[5] ms the used proof is remembered (0 unless valid)
-- Returns {'OK', score, proof, shards, sequence, updated_at} (proof: the caller's verdict, or 'invalid' for a valid proof
-- already used; shards: the event's, '' for one), {'RATE_LIMITED', retry_after_ms} or {'EVENT_NOT_FOUND'}.
-- A proof is spent here even when the join is then refused in its shard (closed, outbox full):
-- the shard's script cannot give it back.
-- @include clock
-- @include queue-order

local limit = tonumber(ARGV[3])
if limit > 0 then
  local count = redis.call('INCR', KEYS[3])
  if count == 1 then redis.call('PEXPIRE', KEYS[3], 60000) end
  if count > limit then return {'RATE_LIMITED', redis.call('PTTL', KEYS[3])} end
end
local cfg = redis.call('HMGET', KEYS[1], 'state', 'opens_at', 'shuffle', 'salt', 'shards', 'updated_at')
if not cfg[1] then return {'EVENT_NOT_FOUND'} end

local proof = ARGV[4]
if proof == 'valid' and not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[5]) then proof = 'invalid' end

local priority = tonumber(ARGV[2])
local seq = redis.call('INCR', KEYS[2])
local score
local opens_at = tonumber(cfg[2] or '')
if cfg[3] == '1' and opens_at and now_ms() < opens_at then
  score = pre_open_score(priority, cfg[4] or '', ARGV[1])
else
  score = arrival_score(priority, seq)
end
return {'OK', string.format('%.0f', score), proof, cfg[5] or '', seq, cfg[6] or ''}
