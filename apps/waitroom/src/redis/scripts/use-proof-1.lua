-- A proof of work's single use for a sharded event, in the shard its id hashes to: one solved
-- challenge buys one place, whichever shard the place is in.
-- KEYS[1] the used-proof string  ARGV[1] ms it is remembered (until its challenge has expired everywhere)
-- Returns 1 the first time, 0 when it was used before.
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
