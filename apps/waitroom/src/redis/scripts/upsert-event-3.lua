-- Create or update an event's configuration in one step, with its audit entry (action `create`,
-- or `update` naming each changed field; a PUT that changes nothing records nothing).
-- KEYS[1] event config hash  KEYS[2] the event's join sequence counter (> 0 once anybody joined)
-- KEYS[3] audit list
-- ARGV[1] a fresh seed for the pre-open draw  ARGV[2] actor (the key's name)  ARGV[3] audit cap
-- ARGV[4..] field, value pairs; a value of '' removes the field (an optional setting turned off).
-- Returns {'CREATED' | 'UPDATED', config field/value list, the shards it had before ('' for 1)} or {'DRAW_FIXED' | 'SHARDS_FIXED', reason}.
-- A sharded event's shard 0 holds its config (the truth) and its join sequence, which every
-- join of every shard draws from (queue.repository.ts), so "anybody joined" reads here for all.
--
-- The seed (`salt`) orders the pre-queue of a shuffle_at_open event and is revealed once
-- opens_at has passed (draw-1.lua). So that anyone can recompute the order from the published
-- rule "joined before opens_at => drawn", the draw's inputs stay fixed once they matter:
--   * shuffle_at_open cannot change once anybody has joined;
--   * with shuffle on, opens_at cannot change once it has passed (the seed is public: a new
--     pre-queue ordered by it could be gamed), and once anybody has joined it can only move to
--     another future instant (never into the past, never removed, never set after joins);
--   * turning shuffle on draws a fresh seed, so a seed revealed at an earlier opening never
--     orders a new pre-queue.
-- @include clock
-- @include audit

local FIRST_PAIR = 4

local created = redis.call('EXISTS', KEYS[1]) == 0
local now = now_ms()
local current = {}
if created then
  -- `tickets`: this event's flow hash keeps the band totals that session tickets need (join-12.lua).
  redis.call('HSET', KEYS[1], 'salt', ARGV[1], 'created_at', now, 'tickets', '1')
else
  local new_shuffle, new_opens, new_shards
  for i = FIRST_PAIR, #ARGV, 2 do
    if ARGV[i] == 'shuffle' then new_shuffle = ARGV[i + 1]
    elseif ARGV[i] == 'opens_at' then new_opens = ARGV[i + 1]
    elseif ARGV[i] == 'shards' then new_shards = ARGV[i + 1] end
  end
  current = redis.call('HMGET', KEYS[1], 'shuffle', 'opens_at', 'shards')
  local shuffle, opens = current[1] or '', current[2] or ''
  local joined = tonumber(redis.call('GET', KEYS[2]) or '0') > 0
  -- A user's shard and every issued session id depend on the number of shards.
  if new_shards and new_shards ~= (current[3] or '') and joined then
    return {'SHARDS_FIXED', 'shards cannot change once people have joined'}
  end
  if new_shuffle and new_shuffle ~= shuffle then
    if joined then return {'DRAW_FIXED', 'shuffle_at_open cannot change once people have joined'} end
    if new_shuffle == '1' then redis.call('HSET', KEYS[1], 'salt', ARGV[1]) end
  elseif shuffle == '1' and new_opens and new_opens ~= opens then
    if opens ~= '' and tonumber(opens) <= now then
      return {'DRAW_FIXED', 'the event has opened and its draw is public: opens_at cannot change'}
    end
    if joined and (opens == '' or new_opens == '' or tonumber(new_opens) <= now) then
      return {'DRAW_FIXED', 'people are in the pre-queue: opens_at can only move to another future instant'}
    end
  end
end
local changes = {}
for i = FIRST_PAIR, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[1], ARGV[i]) or ''
  if old ~= ARGV[i + 1] then changes[ARGV[i]] = {old, ARGV[i + 1]} end
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', KEYS[1], 'updated_at', now)
if created then
  -- A new event of an id that was removed: its log goes on (the removal is its last entry).
  redis.call('PERSIST', KEYS[3])
  audit_append(KEYS[3], tonumber(ARGV[3]), now, ARGV[2], 'create', changes)
elseif next(changes) ~= nil then
  audit_append(KEYS[3], tonumber(ARGV[3]), now, ARGV[2], 'update', changes)
end
return {created and 'CREATED' or 'UPDATED', redis.call('HGETALL', KEYS[1]), current[3] or ''}
