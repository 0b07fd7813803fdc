import type { Environment } from '../config/environment';
import type { EventProgress, QueueRepository } from '../queue/queue.repository';
import { EventSnapshots } from './event-snapshots';

describe('EventSnapshots for the gate', () => {
  let reads: (number | undefined)[];
  let ended: { member: string; endedAtMs: number }[];
  let exists: boolean;
  let sut: EventSnapshots;

  const progress = (endedSinceMs?: number): EventProgress | null =>
    exists
      ? {
          admittedTotal: 0,
          queueLength: 0,
          admissionRatePerSecond: null,
          message: null,
          state: 'open',
          opensAtMs: null,
          idleTimeoutSeconds: null,
          flowPairs: [],
          createdAtMs: 1,
          endedCheckouts: endedSinceMs === undefined ? [] : ended.filter((e) => e.endedAtMs >= endedSinceMs),
          endedKeepMs: 660_000,
          shards: 1,
        }
      : null;

  beforeEach(() => {
    reads = [];
    ended = [];
    exists = true;
    const repository = {
      eventProgress: (_eventId: string, endedSinceMs?: number) => {
        reads.push(endedSinceMs);
        return Promise.resolve(progress(endedSinceMs));
      },
      heartbeats: () => Promise.resolve(0),
    } as unknown as QueueRepository;
    sut = new EventSnapshots(repository, { POLL_SNAPSHOT_MS: 250 } as Environment);
  });
  afterEach(() => sut.onModuleDestroy());

  it('reads every ended checkout first, then only from the latest end seen (minus the overlap)', async () => {
    ended = [
      { member: 'a', endedAtMs: 10_000 },
      { member: 'b', endedAtMs: 20_000 },
    ];
    const snapshot = await sut.forGate('ev');
    expect(reads).toEqual([0]);
    expect([...snapshot.ended!.members.keys()]).toEqual(['a', 'b']);
    expect(snapshot.ended!.cursorMs).toBe(18_000);
    // Fresh: the next check reads nothing.
    await sut.forGate('ev');
    expect(reads).toHaveLength(1);
    // Stale (a quiet spell): read again, from the cursor; what it brings is added.
    snapshot.ended!.readStartedAt = 0;
    ended.push({ member: 'c', endedAtMs: 25_000 });
    await sut.forGate('ev');
    expect(reads).toEqual([0, 18_000]);
    expect([...snapshot.ended!.members.keys()]).toEqual(['a', 'b', 'c']);
    expect(snapshot.ended!.cursorMs).toBe(23_000);
  });

  it('a poll snapshot reads no ended checkouts until a gate check asks for them', async () => {
    await sut.forPoll('ev');
    expect(reads).toEqual([undefined]);
    const snapshot = await sut.forGate('ev');
    expect(reads).toEqual([undefined, 0]);
    expect(snapshot.ended!.readStartedAt).toBeGreaterThan(0);
  });

  it('forgets the snapshot of an event that does not exist, unless polls use it', async () => {
    exists = false;
    expect((await sut.forGate('nope')).progress).toBeNull();
    sut.forgetUnknown('nope');
    await sut.forGate('nope');
    expect(reads).toEqual([0, 0]); // read again: nothing was kept
    await sut.forPoll('polled');
    sut.forgetUnknown('polled');
    expect(sut.forPollNow('polled')).not.toBeNull();
  });
});
