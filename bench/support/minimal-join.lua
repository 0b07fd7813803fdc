-- The least a join must do, for bench/join.bench.ts's `minimal` baseline (not the service's
-- script): one place per user (the user index), an arrival sequence, the queue entry, the
-- session hash and the outbox entry the relay would publish. No priority lanes, rate limit,
-- proof of work, backlog cap, flow counters or position bookkeeping.
-- KEYS[1] user index key  KEYS[2] sequence key  KEYS[3] queue zset  KEYS[4] session key prefix
-- KEYS[5] outbox stream
-- ARGV[1] user id  ARGV[2] new session's member id  ARGV[3] now (ms)
-- Returns {'EXISTING' | 'CREATED', member, position}
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'EXISTING', existing, (redis.call('ZRANK', KEYS[3], existing) or -1) + 1}
end
local member = ARGV[2]
local sequence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], member)
redis.call('ZADD', KEYS[3], sequence, member)
redis.call('HSET', KEYS[4] .. member, 'u', ARGV[1], 'st', 'queued', 'jat', ARGV[3])
redis.call('XADD', KEYS[5], '*', 'k', 'joined', 'm', member, 'u', ARGV[1], 't', ARGV[3])
return {'CREATED', member, redis.call('ZCARD', KEYS[3])}
