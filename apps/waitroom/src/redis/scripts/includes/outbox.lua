-- Appends one domain event to the event's outbox stream, in the same atomic step as the state
-- change it reports. The relay (events/outbox-relay.service.ts) turns it into a contract message.
local function outbox_append(outbox_key, kind, message_id, now, ...)
  redis.call('XADD', outbox_key, '*', 'k', kind, 'm', message_id, 'at', now, ...)
end

-- Appends a message about one session. `session` is its session_naming() (end-session.lua, or what
-- end_session returned): the relay rebuilds the session id the person holds from them
-- (waitroom/session-ticket.ts), so every message names the session as the join reply did.
local function outbox_append_session(outbox_key, kind, message_id, now, member, session, ...)
  outbox_append(outbox_key, kind, message_id, now, 's', member, 'u', session[1] or '', 'p', session[2] or '',
                'j', session[3] or '', 'b', session[4] or '', ...)
end
