-- Take or keep a lease (includes/lease.lua).
-- KEYS[1] lease key
-- ARGV[1] owner id  ARGV[2] lease time in ms
-- Returns 1 if the caller holds the lease, else 0.
-- @include lease
return take_lease(KEYS[1], ARGV[1], ARGV[2])
