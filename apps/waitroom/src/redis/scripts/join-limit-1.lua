-- The per-address join limit of a sharded event (a fixed window of a minute), in the shard the
-- address hashes to, so every join of the address counts in one place whichever shard its users are in.
-- KEYS[1] the address's join counter  ARGV[1] joins per minute
-- Returns 0 when the join may go on, else the ms until the window ends.
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], 60000) end
if count > tonumber(ARGV[1]) then return math.max(1, redis.call('PTTL', KEYS[1])) end
return 0
