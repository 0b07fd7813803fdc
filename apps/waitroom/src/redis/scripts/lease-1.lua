-- Take or keep a lease: granted if free or already held by this owner (then extended).
-- Leases only save work (one instance relays or admits an event at a time); correctness never
-- depends on them, since every state change is its own atomic script.
-- KEYS[1] lease key
-- ARGV[1] owner id  ARGV[2] lease time in ms
-- Returns 1 if the caller holds the lease, else 0.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
