-- Create or update an event's configuration in one step.
-- KEYS[1] event config hash
-- ARGV[1] salt for the pre-open shuffle draw (kept from the first write)  ARGV[2..] field, value pairs;
-- a value of '' removes the field (an optional setting turned off).
-- Returns {'CREATED' | 'UPDATED', config field/value list}
-- @include clock

local created = redis.call('EXISTS', KEYS[1]) == 0
local now = now_ms()
if created then redis.call('HSET', KEYS[1], 'salt', ARGV[1], 'created_at', now) end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', KEYS[1], 'updated_at', now)
return {created and 'CREATED' or 'UPDATED', redis.call('HGETALL', KEYS[1])}
