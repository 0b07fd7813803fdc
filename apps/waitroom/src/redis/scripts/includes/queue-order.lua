-- Queue order: lower score is served first. Each priority owns a band of 1e14 scores
-- (priority 9 first); inside a band, people who joined before an opening with shuffle_at_open
-- hold a keyed random draw below 2^40, and everybody else follows in strict arrival order.
-- Every score stays below 2^53, so doubles hold them exactly. Mirrors queue-order.ts (unit-tested).
local PRIORITY_BAND = 100000000000000
local ARRIVAL_OFFSET = 1099511627776 -- 2^40

local function arrival_score(priority, seq)
  return (9 - priority) * PRIORITY_BAND + ARRIVAL_OFFSET + seq
end

-- The draw is a keyed hash of (event seed, user): uniform over users, unknown to them until the
-- seed is revealed at opening (GET /events/:id/draw), and the same on every re-join, so leaving
-- and joining again cannot re-roll a better place. The published algorithm (queue-order.ts,
-- DRAW_ALGORITHM): the first 5 bytes of SHA-1(seed || 0x00 || user_id) as a big-endian integer,
-- where seed is the event's `salt` (32 hex characters, as ASCII) and user_id its UTF-8 bytes.
local function draw_number(seed, user_id)
  return tonumber(string.sub(redis.sha1hex(seed .. '\0' .. user_id), 1, 10), 16)
end

local function pre_open_score(priority, salt, user_id)
  return (9 - priority) * PRIORITY_BAND + draw_number(salt, user_id)
end

-- Flow buckets: consecutive score ranges of one band, for the live-position snapshot
-- (waitroom/queue-flow.ts). A band's pre-open draws (below 2^40) form 256 buckets of 2^32 draws;
-- arrivals form buckets of 256 consecutive arrivals after them. Bucket ids sort like scores.
local PREOPEN_BUCKET_WIDTH = 4294967296 -- 2^32
local ARRIVAL_BUCKET_WIDTH = 256
local BUCKETS_PER_BAND = 1000000000000

local function flow_bucket(score)
  local band = math.floor(score / PRIORITY_BAND)
  local within = score - band * PRIORITY_BAND
  local sub
  if within < ARRIVAL_OFFSET then
    sub = math.floor(within / PREOPEN_BUCKET_WIDTH)
  else
    sub = 256 + math.floor((within - ARRIVAL_OFFSET) / ARRIVAL_BUCKET_WIDTH)
  end
  return string.format('%.0f', band * BUCKETS_PER_BAND + sub)
end

-- Counts a member leaving the queue other than by admission (left, abandoned): everyone behind
-- it moves up one place. `score` is its queue score, read before the ZREM.
local function count_departure(flow_key, score)
  if score then redis.call('HINCRBY', flow_key, 'd' .. flow_bucket(tonumber(score)), 1) end
end
