import { formatSessionId, newMemberId, parseSessionId } from './session-id';

describe('session ids', () => {
  it('round-trips an event id with dots, colons and dashes', () => {
    const member = newMemberId();
    const id = formatSessionId({ eventId: 'tour:2025.paris-1', member });
    expect(parseSessionId(id)).toEqual({ eventId: 'tour:2025.paris-1', member });
  });

  it('carries 128 random bits and never repeats in practice', () => {
    const members = new Set(Array.from({ length: 10000 }, () => newMemberId()));
    expect(members.size).toBe(10000);
    for (const member of members) expect(Buffer.from(member, 'base64url')).toHaveLength(16);
  });

  it.each([
    '',
    'nothing',
    '~AAAAAAAAAAAAAAAAAAAAAA',
    'e~short',
    'e~AAAAAAAAAAAAAAAAAAAAA!',
    '-bad~AAAAAAAAAAAAAAAAAAAAAA',
  ])('treats %p as unknown', (raw) => expect(parseSessionId(raw)).toBeNull());
});
