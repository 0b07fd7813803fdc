-- Appends one domain event to the event's outbox stream, in the same atomic step as the state
-- change it reports. The relay (events/outbox-relay.service.ts) turns it into a contract message.
local function outbox_append(outbox_key, kind, message_id, now, ...)
  redis.call('XADD', outbox_key, '*', 'k', kind, 'm', message_id, 'at', now, ...)
end
