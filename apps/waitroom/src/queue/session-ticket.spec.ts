import { formatSessionId, newMemberId, newMemberIdInShard, parseSessionId } from './session-id';
import { createHmac } from 'node:crypto';
import { decodeTicket, encodeTicket, useSessionTicketKey, type TicketBasis } from './session-ticket';

describe('session tickets', () => {
  const key = Buffer.alloc(32, 7);
  const basis: TicketBasis = {
    userId: 'fan-42',
    priority: 3,
    joinedAtMs: 1795780000123,
    baseline: '17.250.6000000000258.9.2.1.0',
  };
  beforeEach(() => useSessionTicketKey(key));
  afterAll(() => useSessionTicketKey(null));

  it('round-trips through a session id: user, priority, join time and the baseline', () => {
    const member = newMemberId();
    const id = formatSessionId({ eventId: 'tour:2025.paris-1', member }, basis);
    const ref = parseSessionId(id)!;
    expect(ref).toMatchObject({ eventId: 'tour:2025.paris-1', member });
    expect(decodeTicket(ref.eventId, ref.member, ref.ticket!)).toEqual({
      userId: 'fan-42',
      priority: 3,
      joinedAtMs: 1795780000123,
      position: 17,
      admittedTotal: 250,
      bucket: 6000000000258,
      departuresBefore: 9,
      joinsBefore: 2,
      departuresAt: 1,
      joinsAt: 0,
      score: null,
    });
  });

  it("carries a sharded event's session's queue score as the baseline's eighth number", () => {
    const member = newMemberIdInShard(2, 3);
    const id = formatSessionId(
      { eventId: 'e', member },
      { ...basis, baseline: `${basis.baseline}.801099511628776` },
    );
    const ref = parseSessionId(id)!;
    expect(decodeTicket(ref.eventId, ref.member, ref.ticket!)).toMatchObject({
      position: 17,
      score: 801099511628776,
    });
  });

  it.each(['a\nb', 'émile 🎟️', '~.~', 'x'.repeat(128), '🎟'.repeat(128)])(
    'carries any user id (%p) and stays within the router limit',
    (userId) => {
      const member = newMemberId();
      const id = formatSessionId({ eventId: 'e'.repeat(64), member }, { ...basis, userId });
      expect(id.length).toBeLessThanOrEqual(1024);
      const ref = parseSessionId(id)!;
      expect(decodeTicket(ref.eventId, ref.member, ref.ticket!)?.userId).toBe(userId);
    },
  );

  it('signs with HMAC-SHA256 over the whole id, first 96 bits (RFC 2104, as createHmac)', () => {
    const member = newMemberId();
    const id = formatSessionId({ eventId: 'e', member }, basis);
    const [, , ticket] = id.split('~');
    const [payload, mac] = ticket.split('.');
    const expected = createHmac('sha256', key).update(`e~${member}~${payload}`).digest().subarray(0, 12);
    expect(mac).toBe(expected.toString('base64url'));
  });

  it('signs as createHmac with a key longer than a block too', () => {
    const long = Buffer.alloc(100, 3);
    useSessionTicketKey(long);
    const member = newMemberId();
    const [, , ticket] = formatSessionId({ eventId: 'e', member }, basis).split('~');
    const [payload, mac] = ticket.split('.');
    const expected = createHmac('sha256', long).update(`e~${member}~${payload}`).digest().subarray(0, 12);
    expect(mac).toBe(expected.toString('base64url'));
  });

  it('is the same string every time for one session (a re-join returns the same id)', () => {
    const member = newMemberId();
    expect(formatSessionId({ eventId: 'e', member }, basis)).toBe(
      formatSessionId({ eventId: 'e', member }, basis),
    );
  });

  it('refuses a changed payload, a ticket moved to another session, and another key', () => {
    const member = newMemberId();
    const ticket = encodeTicket('e', member, basis)!;
    const [payload, mac] = ticket.split('.');
    const forged = Buffer.from(
      Buffer.from(payload, 'base64url').toString('utf8').replace('fan-42', 'fan-43'),
    ).toString('base64url');
    expect(decodeTicket('e', member, `${forged}.${mac}`)).toBeNull();
    expect(decodeTicket('e', newMemberId(), ticket)).toBeNull();
    expect(decodeTicket('f', member, ticket)).toBeNull();
    useSessionTicketKey(Buffer.alloc(32, 8));
    expect(decodeTicket('e', member, ticket)).toBeNull();
  });

  it('gives no ticket without a key or without a baseline (sessions from before tickets)', () => {
    const member = newMemberId();
    expect(formatSessionId({ eventId: 'e', member }, { ...basis, baseline: '' })).toBe(`e~${member}`);
    useSessionTicketKey(null);
    expect(formatSessionId({ eventId: 'e', member }, basis)).toBe(`e~${member}`);
  });

  it.each(['e~AAAAAAAAAAAAAAAAAAAAAA~', 'e~AAAAAAAAAAAAAAAAAAAAAA~x.y', 'e~AAAAAAAAAAAAAAAAAAAAAA~a.b~c'])(
    'treats a malformed ticket %p as an unknown id',
    (raw) => expect(parseSessionId(raw)).toBeNull(),
  );
});
