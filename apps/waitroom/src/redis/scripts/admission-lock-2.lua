-- The admission step of a sharded event (admission/sharded-admission.ts) is taken by one
-- instance at a time: a lock in its shard 0, taken for one step and given back after it, with a
-- fencing epoch that grows with every step. Every shard refuses a step of an older epoch
-- (admission-head-5.lua, admission-plan-1.lua, admission-tick-9.lua), so a step that outlived
-- its lock (a process stalled past the lock's time) can admit nobody once a newer step has read.
-- KEYS[1] lock string  KEYS[2] epoch counter
-- ARGV[1] owner id  ARGV[2] lock time in ms  ARGV[3] 'take' or 'give' (back, if still the owner's)
-- Returns the step's epoch when taken, else 0 (another instance is stepping the event); 'give': 1.
if ARGV[3] == 'give' then
  if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 1
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
return redis.call('INCR', KEYS[2])
