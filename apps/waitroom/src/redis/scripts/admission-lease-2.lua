-- The admitter of a sharded event: one instance at a time, by a lease in its shard 0, with a
-- fencing epoch that grows every time the lease changes hands (admission/sharded-admission.ts).
-- Unlike other leases this one matters for correctness: only the holder decides how many each
-- shard admits, and the epoch lets every shard refuse a step of a holder that lost the lease
-- (admission-head-5.lua, admission-tick-9.lua).
-- KEYS[1] lease string  KEYS[2] epoch counter
-- ARGV[1] owner id  ARGV[2] lease time in ms
-- Returns the holder's epoch when the caller holds the lease afterwards, else 0.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])
