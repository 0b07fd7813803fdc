-- Appends one domain event about a session to the event's outbox stream, in the same atomic step
-- as the state change it reports. The relay (events/outbox-relay.service.ts) turns it into a
-- contract message. `session` is the session's naming (end-session.lua's session_naming(), or the
-- join's own values): {user id, priority, joined at, baseline}; the relay rebuilds from them the
-- session id the person holds (waitroom/session-ticket.ts), so every message names the session
-- as the join reply did. `value` is the kind's own: the position (joined), the reason (left) or
-- the checkout deadline (ready).
--
-- Two formats (docs/decisions/0017-packed-outbox-entries.md; events/outbox-entry.ts reads both):
--   packed  one field `e1`: kind, message id, time, member, priority, joined at, baseline, value
--           and the user id, joined by the unit separator (0x1F). The user id comes last because
--           it may hold any character.
--   fields  `k` kind, `m` message id, `at` time, `s` member, `u` user id, `p` priority,
--           `j` joined at, `b` baseline, then `pos` | `r` | `eat`: what versions before the packed
--           format read, for a rolling upgrade from them.
-- The loader sets OUTBOX_ENTRY_FORMAT from the setting of the same name (redis/lua-scripts.ts).
-- @setting OUTBOX_ENTRY_FORMAT packed
local OUTBOX_VALUE_FIELD = { joined = 'pos', left = 'r', ready = 'eat' }

-- Numbers as integers in decimal (tostring would give 1.7e+12 forms for large ones).
local function outbox_text(value)
  if type(value) == 'number' then return string.format('%d', value) end
  return value or ''
end

local function outbox_append(outbox_key, kind, message_id, now, member, session, value)
  if OUTBOX_ENTRY_FORMAT == 'packed' then
    redis.call('XADD', outbox_key, '*', 'e1', table.concat({
      kind, message_id, outbox_text(now), member, outbox_text(session[2]), outbox_text(session[3]),
      outbox_text(session[4]), outbox_text(value), outbox_text(session[1]),
    }, '\31'))
  else
    redis.call('XADD', outbox_key, '*', 'k', kind, 'm', message_id, 'at', now, 's', member,
               'u', session[1] or '', 'p', session[2] or '', 'j', session[3] or '', 'b', session[4] or '',
               OUTBOX_VALUE_FIELD[kind], value)
  end
end
