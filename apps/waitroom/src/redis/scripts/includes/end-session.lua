-- What names a session in messages: {uid, prio, jat, b}, from which the relay rebuilds the id
-- the person holds (outbox_append_session); the fields `...` follow, read in the same call.
local function session_naming(session_key, ...)
  return redis.call('HMGET', session_key, 'uid', 'prio', 'jat', 'b', ...)
end

-- Moves a live session to a terminal status and releases what it held.
-- session_key: the session hash; member: its id inside the event's sets;
-- status: left | abandoned | completed | failed | expired; released_from: the set it leaves.
-- Its user index is dropped only if it still points at this session, so the user may join again.
-- Returns the session's session_naming().
local function end_session(session_key, member, user_key_prefix, status, now, retention_seconds)
  local session = session_naming(session_key)
  local user_id = session[1]
  redis.call('HSET', session_key, 'st', status, 'end', now)
  redis.call('EXPIRE', session_key, retention_seconds)
  if user_id then
    local user_key = user_key_prefix .. user_id
    if redis.call('GET', user_key) == member then redis.call('DEL', user_key) end
  end
  return session
end
