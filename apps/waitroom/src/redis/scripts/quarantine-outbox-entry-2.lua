-- Moves one outbox entry that this version cannot turn into a message (an unknown kind written
-- by a newer version during a rolling deploy, or damaged fields) to the event's quarantine
-- stream, so the relay can go on with the entries after it. Kept for an operator, bounded.
-- KEYS[1] outbox stream  KEYS[2] quarantine stream
-- ARGV[1] entry id  ARGV[2] reason  ARGV[3] most entries the quarantine keeps
-- Returns 1 if the entry was moved, 0 if it was already gone.
local entry = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entry == 0 then return 0 end
local fields = entry[1][2]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'outbox_id', ARGV[1], 'reason', ARGV[2], unpack(fields))
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
