-- Copies a sharded event's config (its shard 0's hash, the truth) to one of its other shards,
-- whose joins and steps read their own copy (docs/decisions/0023-sharded-events.md). A copy older
-- than the one there (by `updated_at`, shard 0's clock) never replaces it, so copies racing from
-- two instances end with the newer; an empty list removes the copy (a shard the event no longer has).
-- KEYS[1] the shard's config hash
-- ARGV[1..] field, value pairs of shard 0's config hash (with updated_at)
-- Returns 1 when the copy was written (or removed), 0 when the shard already had the same or newer.
if #ARGV == 0 then return redis.call('DEL', KEYS[1]) end
local incoming
for i = 1, #ARGV, 2 do
  if ARGV[i] == 'updated_at' then incoming = tonumber(ARGV[i + 1]) end
end
local stored = tonumber(redis.call('HGET', KEYS[1], 'updated_at') or '')
if stored and incoming and stored >= incoming then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
