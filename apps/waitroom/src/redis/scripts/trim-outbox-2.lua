-- Deletes the outbox entries up to a published batch's newest one (XTRIM MINID: everything
-- below the bound is on Kafka, whichever instance published it). When the outbox is then empty
-- and the event has been removed (no config), the stream key itself goes: a removed event keeps
-- nothing but its sessions, which expire with their retention.
-- KEYS[1] outbox stream  KEYS[2] event config hash
-- ARGV[1] MINID bound: the smallest id to keep
-- Returns the entries left.
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
local left = redis.call('XLEN', KEYS[1])
if left == 0 and redis.call('EXISTS', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return left
