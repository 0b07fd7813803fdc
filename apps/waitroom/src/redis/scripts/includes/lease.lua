-- Takes or keeps a lease: granted if free or already held by this owner (then extended).
-- Leases only save work (one instance relays or admits an event at a time); correctness never
-- depends on them, since every state change is its own atomic script.
-- Returns 1 if the caller holds the lease afterwards, else 0.
local function take_lease(key, owner, ttl_ms)
  local holder = redis.call('GET', key)
  if holder == owner then
    redis.call('PEXPIRE', key, ttl_ms)
    return 1
  end
  if not holder then
    redis.call('SET', key, owner, 'PX', ttl_ms)
    return 1
  end
  return 0
end
