import { lowerBound } from '../common/lower-bound';
import { ARRIVAL_OFFSET, PRIORITY_BAND } from '../queue/queue-order';
import type { SessionRecord } from '../queue/session';

/**
 * Live positions without a read per stream: the TypeScript side of the flow buckets kept by
 * join-12.lua, leave-8.lua and admission-tick-9.lua (redis/scripts/includes/queue-order.lua).
 *
 * A queued person's place only moves when someone ahead leaves the queue or someone lands
 * ahead. Admissions always take the head, so each one moves everybody up by one; departures
 * (left, abandoned) and joins that land ahead (a higher priority, a pre-open draw) are counted
 * per bucket of consecutive scores. From one direct read (position p0 and the counters then),
 * the position later is
 *
 *   p0 − (admitted since) − (departures since in buckets before mine) + (joins since in buckets before mine)
 *
 * which is exact. Only changes inside the person's own bucket are ambiguous (ahead or behind?):
 * then the stream reads its session directly again. Buckets are small (256 arrivals), so that
 * is rare, and the cost of following a stream does not grow with the number of streams.
 */
const PREOPEN_BUCKET_WIDTH = 2 ** 32;
const ARRIVAL_BUCKET_WIDTH = 256;
const BUCKETS_PER_BAND = 1e12;

/** The flow bucket of a queue score (the twin of queue-order.lua's flow_bucket). */
export function flowBucket(score: number): number {
  const band = Math.floor(score / PRIORITY_BAND);
  const within = score - band * PRIORITY_BAND;
  const sub =
    within < ARRIVAL_OFFSET
      ? Math.floor(within / PREOPEN_BUCKET_WIDTH)
      : 256 + Math.floor((within - ARRIVAL_OFFSET) / ARRIVAL_BUCKET_WIDTH);
  return band * BUCKETS_PER_BAND + sub;
}

interface FlowCounts {
  departures: number;
  joins: number;
}

/** The flow hash of one moment, with sums over the buckets before any given one. */
export class FlowSnapshot {
  private readonly buckets: number[] = [];
  /** Sums over buckets[0..i), so cumulative[i] is "everything before buckets[i]". */
  private readonly departuresBefore: number[] = [0];
  private readonly joinsBefore: number[] = [0];
  private readonly own = new Map<number, FlowCounts>();
  /**
   * The head's bucket at the last fold (`h`, see fold_flow_behind_head in queue-order.lua): the
   * buckets below it were folded into their band's field, so nobody queued then was in them.
   */
  readonly foldedBelow: number | null = null;

  /** `pairs`: the flow hash as a flat [field, value, …] list (`d<bucket>` / `j<bucket>`). */
  constructor(pairs: readonly unknown[]) {
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const field = String(pairs[i]);
      if (field === 'h') {
        const head = Number(pairs[i + 1]);
        if (Number.isFinite(head)) this.foldedBelow = head;
        continue;
      }
      // `D…` and `J…` are per-band totals, for join-12.lua's baselines: not buckets.
      if (field[0] !== 'd' && field[0] !== 'j') continue;
      const bucket = Number(field.slice(1));
      const value = Number(pairs[i + 1]);
      if (!Number.isFinite(bucket) || !Number.isFinite(value)) continue;
      const counts = this.own.get(bucket) ?? { departures: 0, joins: 0 };
      if (field[0] === 'd') counts.departures += value;
      else if (field[0] === 'j') counts.joins += value;
      this.own.set(bucket, counts);
    }
    this.buckets = [...this.own.keys()].sort((a, b) => a - b);
    for (const bucket of this.buckets) {
      const counts = this.own.get(bucket)!;
      this.departuresBefore.push(this.departuresBefore[this.departuresBefore.length - 1] + counts.departures);
      this.joinsBefore.push(this.joinsBefore[this.joinsBefore.length - 1] + counts.joins);
    }
  }

  /** Totals over the buckets strictly before `bucket`. */
  before(bucket: number): FlowCounts {
    const first = lowerBound(this.buckets, bucket);
    return { departures: this.departuresBefore[first], joins: this.joinsBefore[first] };
  }

  /** The counts of `bucket` itself. */
  at(bucket: number): FlowCounts {
    return this.own.get(bucket) ?? { departures: 0, joins: 0 };
  }
}

/** What a stream remembers from its last direct read of a queued session. */
export interface PositionBase {
  position: number;
  admittedTotal: number;
  bucket: number;
  before: FlowCounts;
  at: FlowCounts;
  /** When the session joined (Redis's clock, as the event's created_at). */
  joinedAtMs: number;
}

/** What positionBaseOf needs of a direct read (stream-session-6.lua's StreamedSession). */
interface QueuedRead {
  session: Pick<SessionRecord, 'status' | 'position' | 'joinedAtMs'>;
  /** Queue score while queued, else null. */
  score: number | null;
  admittedTotal: number;
  flowPairs: unknown[];
}

/** The base a direct read gives a queued session's later positions; null when it is not queued. */
export function positionBaseOf({
  session,
  score,
  admittedTotal,
  flowPairs,
}: QueuedRead): PositionBase | null {
  if (session.status !== 'queued' || session.position === null || score === null) return null;
  const flow = new FlowSnapshot(flowPairs);
  const bucket = flowBucket(score);
  return {
    position: session.position,
    admittedTotal,
    bucket,
    before: flow.before(bucket),
    at: flow.at(bucket),
    joinedAtMs: session.joinedAtMs,
  };
}

/** What followPosition needs of the event's progress now (event-progress-6.lua). */
export interface EventCounts {
  admittedTotal: number;
  /** When the event was created (null: not recorded). */
  createdAtMs: number | null;
}

/**
 * The position now, from the last direct read (or a session ticket) and the event's progress
 * now. `null` when the progress cannot tell (a change in the session's own bucket, or everyone
 * ahead gone: the session may have been admitted): then the caller reads the session directly.
 * Every counter only grows, so a snapshot taken before the base (a read that overtook it) shows
 * some counter lower than the base: the base's position then stands, which keeps positions from
 * going back up. Counters fall in two other ways, both a read:
 * - the fold of the buckets the head has passed: a session in such a bucket is queued no more
 *   (admitted, most likely);
 * - the event was removed and created again under the same id (its counters start from zero): a
 *   session that joined before the event's creation belongs to the removed one.
 */
export function followPosition(base: PositionBase, event: EventCounts, flow: FlowSnapshot): number | null {
  if (event.createdAtMs !== null && base.joinedAtMs < event.createdAtMs) return null;
  const at = flow.at(base.bucket);
  const before = flow.before(base.bucket);
  const admitted = event.admittedTotal - base.admittedTotal;
  const departed = before.departures - base.before.departures;
  const joined = before.joins - base.before.joins;
  if (
    admitted < 0 ||
    departed < 0 ||
    joined < 0 ||
    at.departures < base.at.departures ||
    at.joins < base.at.joins
  )
    return flow.foldedBelow !== null && base.bucket < flow.foldedBelow ? null : base.position;
  if (at.departures !== base.at.departures || at.joins !== base.at.joins) return null;
  const position = base.position - admitted - departed + joined;
  return position >= 1 ? position : null;
}
