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

-- Besides its buckets (`d<bucket>`, `j<bucket>`), the flow hash keeps each band's totals
-- (`D<band>`, `J<band>`), so the baseline of a new arrival costs O(1) (flow_baseline below).
local function band_of(score)
  return math.floor(score / PRIORITY_BAND)
end

-- Counts a member leaving the queue other than by admission (left, abandoned): everyone behind
-- it moves up one place. `score` is its queue score, read before the ZREM.
-- The flow hash also keeps the totals over every band (`DA`, `JA`) once a join has set them
-- (flow_baseline): a plain arrival of the last band then reads four fields, not two per band.
-- Counted only where they exist, so an event from before them starts them from the band totals.
local function count_band(flow_key, kind, score)
  redis.call('HINCRBY', flow_key, kind .. flow_bucket(score), 1)
  redis.call('HINCRBY', flow_key, string.upper(kind) .. band_of(score), 1)
  local all_bands = string.upper(kind) .. 'A'
  if redis.call('HEXISTS', flow_key, all_bands) == 1 then redis.call('HINCRBY', flow_key, all_bands, 1) end
end

local function count_departure(flow_key, score)
  if score then count_band(flow_key, 'd', tonumber(score)) end
end

-- Counts a join that can land ahead of people already queued (a priority, a pre-open draw).
local function count_join_ahead(flow_key, score)
  count_band(flow_key, 'j', score)
end

-- A new member's flow baseline: its bucket, the departures and counted joins in all buckets
-- before it, and those in its own bucket, as the live-position snapshot will see them
-- (waitroom/queue-flow.ts). Returned as one string, "bucket.departures_before.joins_before.
-- departures_at.joins_at". An arrival is the last of its band, so "before my bucket" is the
-- totals of its band and the bands ahead minus its own bucket: the all-band totals minus the bands
-- behind it, a few fields whatever the queue's length (the all-band totals are started from the
-- band totals the first time). A pre-open draw lands among its band's draws, so its own band's
-- pre-open buckets below it are summed (at most 255).
local LAST_BAND = 9

-- The all-band totals as read (`d`, `j`: nil when the event has none yet), or started from the
-- band totals.
local function all_band_totals(flow_key, d, j)
  if d then return tonumber(d), tonumber(j or '0') end
  local fields = {}
  for b = 0, LAST_BAND do
    fields[#fields + 1] = 'D' .. b
    fields[#fields + 1] = 'J' .. b
  end
  local values = redis.call('HMGET', flow_key, unpack(fields))
  local d, j = 0, 0
  for i = 1, #values, 2 do
    d = d + (tonumber(values[i] or '0') or 0)
    j = j + (tonumber(values[i + 1] or '0') or 0)
  end
  redis.call('HSET', flow_key, 'DA', d, 'JA', j)
  return d, j
end

local function flow_baseline(flow_key, score)
  local band = band_of(score)
  local bucket = flow_bucket(score)
  local within = score - band * PRIORITY_BAND
  if within >= ARRIVAL_OFFSET then
    -- An arrival: everything in its band and the bands ahead is before it, but its own bucket.
    local fields = {'d' .. bucket, 'j' .. bucket, 'DA', 'JA'}
    for b = band + 1, LAST_BAND do
      fields[#fields + 1] = 'D' .. b
      fields[#fields + 1] = 'J' .. b
    end
    local values = redis.call('HMGET', flow_key, unpack(fields))
    local function n(i) return tonumber(values[i] or '0') or 0 end
    local d_before, j_before = all_band_totals(flow_key, values[3], values[4])
    for i = 5, #fields, 2 do
      d_before = d_before - n(i)
      j_before = j_before - n(i + 1)
    end
    local d_at, j_at = n(1), n(2)
    return bucket .. '.' .. (d_before - d_at) .. '.' .. (j_before - j_at) .. '.' .. d_at .. '.' .. j_at
  end
  -- A pre-open draw: the bands ahead, and its own band's draws below its bucket.
  local fields = {'d' .. bucket, 'j' .. bucket}
  for b = 0, band - 1 do
    fields[#fields + 1] = 'D' .. b
    fields[#fields + 1] = 'J' .. b
  end
  for sub = 0, math.floor(within / PREOPEN_BUCKET_WIDTH) - 1 do
    local id = string.format('%.0f', band * BUCKETS_PER_BAND + sub)
    fields[#fields + 1] = 'd' .. id
    fields[#fields + 1] = 'j' .. id
  end
  local values = redis.call('HMGET', flow_key, unpack(fields))
  local function n(i) return tonumber(values[i] or '0') or 0 end
  local d_before, j_before = 0, 0
  for i = 3, #fields, 2 do
    d_before = d_before + n(i)
    j_before = j_before + n(i + 1)
  end
  return bucket .. '.' .. d_before .. '.' .. j_before .. '.' .. n(1) .. '.' .. n(2)
end

-- Folds the flow buckets behind the queue's head (nobody is queued in them any more) into one
-- field per band, with the id just before the band's first bucket (band * BUCKETS_PER_BAND - 1,
-- which no real bucket has). Every sum "before my bucket" that a queued person's base or a live
-- snapshot takes stays the same: what was before them is still before them, and nobody queued
-- has a bucket behind the head. So the hash, which every polling instance reads each refresh,
-- keeps only the buckets between head and tail, whatever the event's history. Runs when the
-- head has reached a later bucket than at the last fold (`h`).
local function fold_flow_behind_head(flow_key, queue_key)
  local head = redis.call('ZRANGE', queue_key, 0, 0, 'WITHSCORES')
  if #head == 0 then return end
  local head_bucket = tonumber(flow_bucket(tonumber(head[2])))
  local last = tonumber(redis.call('HGET', flow_key, 'h') or '')
  if last and head_bucket <= last then return end
  redis.call('HSET', flow_key, 'h', string.format('%.0f', head_bucket))
  local fields = redis.call('HGETALL', flow_key)
  for i = 1, #fields, 2 do
    local kind = string.sub(fields[i], 1, 1)
    local bucket = tonumber(string.sub(fields[i], 2))
    if (kind == 'd' or kind == 'j') and bucket and bucket < head_bucket and (bucket + 1) % BUCKETS_PER_BAND ~= 0 then
      local band_start = math.floor(bucket / BUCKETS_PER_BAND) * BUCKETS_PER_BAND - 1
      redis.call('HINCRBY', flow_key, kind .. string.format('%.0f', band_start), tonumber(fields[i + 1]))
      redis.call('HDEL', flow_key, fields[i])
    end
  end
end
