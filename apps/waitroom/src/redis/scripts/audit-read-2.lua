-- The event's audit log, newest first (includes/audit.lua writes it).
-- KEYS[1] event config hash  KEYS[2] audit list
-- ARGV[1] most entries returned
-- Returns {'NOT_FOUND'} when neither the event nor its log exists (a removed event's log stays
-- readable until its retention ends), else {'OK', entry JSON, ...}
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 0 then return {'NOT_FOUND'} end
local entries = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)
table.insert(entries, 1, 'OK')
return entries
