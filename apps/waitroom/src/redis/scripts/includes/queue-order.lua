-- Queue order: lower score is served first. Each priority owns a band of 1e14 scores
-- (priority 9 first); inside a band, people who joined before an opening with shuffle_at_open
-- hold a keyed random draw below 2^40, and everybody else follows in strict arrival order.
-- Every score stays below 2^53, so doubles hold them exactly. Mirrors queue-order.ts (unit-tested).
local PRIORITY_BAND = 100000000000000
local ARRIVAL_OFFSET = 1099511627776 -- 2^40

local function arrival_score(priority, seq)
  return (9 - priority) * PRIORITY_BAND + ARRIVAL_OFFSET + seq
end

-- The draw is a keyed hash of (event salt, user): uniform over users, unknown to them, and the
-- same on every re-join, so leaving and joining again cannot re-roll a better place.
local function pre_open_score(priority, salt, user_id)
  local draw = tonumber(string.sub(redis.sha1hex(salt .. '\0' .. user_id), 1, 10), 16)
  return (9 - priority) * PRIORITY_BAND + draw
end
