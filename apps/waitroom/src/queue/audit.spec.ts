import { auditEntryView } from './audit';

describe('auditEntryView', () => {
  it('names each changed field as the contract does, with its values as the API shows them', () => {
    const stored = JSON.stringify({
      at: 1796000000000,
      actor: 'alice',
      action: 'update',
      changes: {
        capacity: ['10', '20'],
        rate: ['', '600'],
        state: ['open', 'paused'],
        shuffle: ['', '1'],
        bot_check: ['', 'pow'],
        msg: ['', 'Doors open at 8'],
        closes_at: ['', '1796000060000'],
        salt: ['aaa', 'bbb'],
      },
    });
    expect(auditEntryView(stored)).toEqual({
      at: '2026-11-30T00:53:20.000Z',
      actor: 'alice',
      action: 'update',
      changes: {
        capacity: { old: 10, new: 20 },
        admission_rate_per_minute: { old: null, new: 600 },
        state: { old: 'open', new: 'paused' },
        shuffle_at_open: { old: false, new: true },
        bot_check: { old: 'off', new: 'proof_of_work' },
        message: { old: null, new: 'Doors open at 8' },
        closes_at: { old: null, new: '2026-11-30T00:54:20.000Z' },
      },
    });
  });

  it('reads an entry without changes (Lua encodes an empty table as {} or [])', () => {
    for (const changes of [{}, []])
      expect(
        auditEntryView(JSON.stringify({ at: 0, actor: 'bob', action: 'sold_out', changes })),
      ).toMatchObject({
        actor: 'bob',
        action: 'sold_out',
        changes: {},
      });
  });

  it('is null for an unreadable entry', () => {
    expect(auditEntryView('not json')).toBeNull();
    expect(auditEntryView('42')).toBeNull();
  });
});
