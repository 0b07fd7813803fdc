-- The relay's visit to one event: take or keep its lease (includes/lease.lua) only if its outbox
-- has entries. A queued but quiet event (paused, or nobody joining) stays on the active list for
-- the admission step, and the relay visits it every interval: an empty outbox then costs this one
-- call, not a lease, a read and a trip to the reader thread.
-- KEYS[1] outbox lease key  KEYS[2] outbox stream
-- ARGV[1] owner id  ARGV[2] lease time in ms
-- Returns 1 if the caller holds the lease, 0 if another instance does, -1 if the outbox is empty.
-- @include lease
if redis.call('XLEN', KEYS[2]) == 0 then return -1 end
return take_lease(KEYS[1], ARGV[1], ARGV[2])
