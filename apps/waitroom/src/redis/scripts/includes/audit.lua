-- The event's audit log (GET /admin/events/:id/audit): a capped list, newest first, of every
-- admin change, written in the same atomic step as the change. An entry is JSON:
-- {at (ms), actor (the key's name, never the key), action, changes: {config field: [old, new]}}
-- with the config hash's own field names and values ('' for absent); queue/audit.ts turns them
-- into the contract's names and values.
local function audit_append(audit_key, cap, now, actor, action, changes)
  if next(changes) == nil then changes = cjson.decode('{}') end
  redis.call('LPUSH', audit_key, cjson.encode({at = now, actor = actor, action = action, changes = changes}))
  redis.call('LTRIM', audit_key, 0, cap - 1)
end
