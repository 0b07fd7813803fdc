-- One clock for every instance: Redis's own. Scripts are replicated by effects (Redis >= 5),
-- so reading TIME before writing is allowed and replicas agree.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
