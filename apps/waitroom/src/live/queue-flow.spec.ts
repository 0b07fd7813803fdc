import { arrivalScore, preOpenScore } from '../queue/queue-order';
import { FlowSnapshot, flowBucket, followPosition, positionBaseOf, type PositionBase } from './queue-flow';

const flat = (record: Record<string, number>) => Object.entries(record).flatMap(([k, v]) => [k, String(v)]);

describe('flow buckets', () => {
  it('sort like scores: priority first, pre-open draws before arrivals, 256 arrivals a bucket', () => {
    const scores = [
      preOpenScore(9, 5),
      arrivalScore(9, 1),
      preOpenScore(0, 2 ** 39),
      arrivalScore(0, 0),
      arrivalScore(0, 255),
      arrivalScore(0, 256),
      arrivalScore(0, 10_000_000),
    ];
    const buckets = scores.map(flowBucket);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(flowBucket(arrivalScore(0, 0))).toBe(flowBucket(arrivalScore(0, 255)));
    expect(flowBucket(arrivalScore(0, 256))).toBe(flowBucket(arrivalScore(0, 255)) + 1);
  });

  it('match the Lua text form (%.0f) as numbers', () => {
    expect(String(flowBucket(arrivalScore(0, 1000)))).toBe('9000000000259');
  });
});

/** A bucket's place within its priority band (the fold's band field sits just before place 0). */
const placeInBand = (bucket: number) => bucket % 1e12;

describe('followPosition', () => {
  // Me: arrival 1000 (bucket b), position 600 when read, 400 admitted so far.
  const myScore = arrivalScore(0, 1000);
  const b = flowBucket(myScore);
  const joinedAtMs = 5000;
  const base = positionBaseOf({
    session: { status: 'queued', position: 600, joinedAtMs },
    score: myScore,
    admittedTotal: 400,
    flowPairs: flat({ [`d${b - 2}`]: 3, [`d${b}`]: 1 }),
  }) as PositionBase;
  /** The event's progress: `admittedTotal` so far, created long before me unless said otherwise. */
  const event = (admittedTotal: number, createdAtMs: number | null = null) => ({
    admittedTotal,
    createdAtMs,
  });

  it('has no base but for a queued read with a score', () => {
    const read = { score: myScore, admittedTotal: 400, flowPairs: [] };
    expect(positionBaseOf({ ...read, session: { status: 'ready', position: null, joinedAtMs } })).toBeNull();
    expect(
      positionBaseOf({ ...read, score: null, session: { status: 'queued', position: 600, joinedAtMs } }),
    ).toBeNull();
    expect(base).toMatchObject({ position: 600, admittedTotal: 400, bucket: b, joinedAtMs });
  });

  it('moves up by one per admission', () => {
    const sut = new FlowSnapshot(flat({ [`d${b - 2}`]: 3, [`d${b}`]: 1 }));
    expect(followPosition(base, event(450), sut)).toBe(550);
  });

  it('moves up for departures ahead and down for joins ahead; ignores changes behind', () => {
    const sut = new FlowSnapshot(
      flat({
        [`d${b - 2}`]: 5,
        [`d${b - 1}`]: 4,
        [`j${b - 9}`]: 2,
        [`d${b}`]: 1,
        [`d${b + 1}`]: 50,
        [`j${b + 3}`]: 9,
      }),
    );
    expect(followPosition(base, event(400), sut)).toBe(600 - 2 - 4 + 2);
  });

  it('asks for a direct read when its own bucket changed, or when nobody may be left ahead', () => {
    expect(
      followPosition(base, event(400), new FlowSnapshot(flat({ [`d${b - 2}`]: 3, [`d${b}`]: 2 }))),
    ).toBeNull();
    expect(
      followPosition(base, event(1000), new FlowSnapshot(flat({ [`d${b - 2}`]: 3, [`d${b}`]: 1 }))),
    ).toBeNull();
  });

  it('keeps the base position for a snapshot older than the base (a read overtook it): never a rise', () => {
    // Fewer admissions than at the base, and one departure ahead fewer.
    expect(followPosition(base, event(390), new FlowSnapshot(flat({ [`d${b - 2}`]: 2, [`d${b}`]: 1 })))).toBe(
      600,
    );
    expect(followPosition(base, event(400), new FlowSnapshot(flat({ [`d${b - 2}`]: 3 })))).toBe(600);
  });

  it('asks for a direct read once the head has passed its bucket and folded it, whatever the counters', () => {
    // Admitted: the admission tick folded the buckets behind the head (`h`) into one field per
    // band, so its own bucket's departure is no longer there. Not an older snapshot: the session
    // may have been admitted, and only a read can say.
    const folded = { [`d${b - placeInBand(b) - 1}`]: 4, h: b + 3 };
    expect(followPosition(base, event(1000), new FlowSnapshot(flat(folded)))).toBeNull();
    expect(followPosition(base, event(400), new FlowSnapshot(flat(folded)))).toBeNull();
    // A fold that has not reached its bucket leaves the older-snapshot rule as it was.
    expect(followPosition(base, event(400), new FlowSnapshot(flat({ [`d${b - 2}`]: 3, h: b })))).toBe(600);
  });

  it('ignores the per-band totals kept for join baselines', () => {
    const sut = new FlowSnapshot(flat({ [`d${b - 2}`]: 3, [`d${b}`]: 1, D9: 99, J0: 7 }));
    expect(followPosition(base, event(400), sut)).toBe(600);
  });

  it('asks for a direct read when it joined before the event was created (an earlier event of the id, removed)', () => {
    const sut = new FlowSnapshot(flat({ [`d${b - 2}`]: 3, [`d${b}`]: 1 }));
    expect(followPosition(base, event(0, joinedAtMs + 1), sut)).toBeNull();
    expect(followPosition(base, event(450, joinedAtMs), sut)).toBe(550);
    expect(followPosition(base, event(450, null), sut)).toBe(550);
  });
});
