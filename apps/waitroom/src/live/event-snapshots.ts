import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Environment } from '../config/environment';
import { QueueRepository, type EventProgress } from '../queue/queue.repository';
import { batchedHeartbeatIntervalMs } from '../queue/session';
import { FlowSnapshot } from './queue-flow';
import { shardOfScope, shardScopes } from '../redis/redis-keys';

/** An event nobody polled or streamed on this instance for this long is forgotten (idle costs nothing). */
const SNAPSHOT_IDLE_MS = 10_000;
/** Members per heartbeat call, so one call never holds Redis for long. */
const HEARTBEATS_PER_CALL = 1000;
/**
 * The gate's ended checkouts are read from the latest end seen minus this, so an end written
 * with a slightly earlier Redis clock (a failover to another server) is still read.
 */
const ENDED_READ_OVERLAP_MS = 2000;
/** The gate's knowledge of ended checkouts is never older than this when it answers (CONTRACT.md: 2 s). */
const GATE_MAX_STALENESS_MS = 1500;
/** How often the ended checkouts an instance remembers are trimmed to what can still verify. */
const ENDED_TRIM_INTERVAL_MS = 10_000;

/** The checkouts that ended, as the gate of this instance knows them (docs/decisions/0021-gate.md). */
export interface EndedCheckouts {
  /** member id -> when its checkout ended (Redis's clock, ms). */
  members: Map<string, number>;
  /** The next read asks for ends from here on. */
  cursorMs: number;
  /** When the last read that included them started (0: none yet). */
  readStartedAt: number;
  lastTrimmedAt: number;
}

/** One event's progress as this instance last read it, and the heartbeats it owes Redis. */
export interface EventSnapshot {
  /** Null until the first read, and when the event does not exist. */
  progress: EventProgress | null;
  flow: FlowSnapshot | null;
  /** When it was read (0: never). */
  loadedAt: number;
  loading?: Promise<void>;
  lastPolledAt: number;
  lastStreamedAt: number;
  lastGatedAt: number;
  /** Null until a gate check of the event on this instance asks for them. */
  ended: EndedCheckouts | null;
  /** Queued members polled or streamed since the last heartbeat call. */
  heartbeats: Set<string>;
  lastHeartbeatAt: number;
}

/**
 * The per-event progress snapshots that status polls and server-sent streams both answer from
 * (event-progress-6.lua: admitted total, queue length, rate, state and flow buckets), and the
 * heartbeats both owe for the queued people they answer, in one place: one read per event per
 * interval and one heartbeat call per event now and then, whatever the number of polls and
 * streams (docs/decisions/0013-live-positions.md, 0014-poll-fast-path.md).
 *
 * While an event is polled, one loop refreshes its snapshot every POLL_SNAPSHOT_MS; streams ask
 * for one no older than their tick and read only when nothing fresher is there. An event neither
 * polled nor streamed for a while is dropped, its last heartbeats written.
 */
@Injectable()
export class EventSnapshots implements OnModuleDestroy {
  private readonly logger = new Logger(EventSnapshots.name);
  private readonly snapshots = new Map<string, EventSnapshot>();
  private timer?: NodeJS.Timeout;
  /** Counters read by tests and benchmarks: snapshot reads, heartbeat calls. */
  readonly stats = { snapshots: 0, heartbeatCalls: 0 };

  constructor(
    private readonly repository: QueueRepository,
    private readonly env: Environment,
  ) {}

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The event's snapshot for a poll: read first (one read shared by concurrent callers) when it
   * is more than two refresh intervals old, which happens after a quiet spell.
   */
  async forPoll(eventId: string): Promise<EventSnapshot> {
    const snapshot = this.entry(eventId);
    snapshot.lastPolledAt = Date.now();
    if (snapshot.lastPolledAt - snapshot.loadedAt > 2 * this.env.POLL_SNAPSHOT_MS)
      await this.load(eventId, snapshot);
    return snapshot;
  }

  /**
   * The snapshot for an event notice (GET /events/:id/notice: a waiting page that has not joined
   * asks for the event's state and message): as for a poll, but an id that names no event leaves
   * no entry behind, so made-up ids cost one read each and are not refreshed afterwards.
   */
  async forNotice(eventId: string): Promise<EventSnapshot> {
    const known = this.snapshots.has(eventId);
    const snapshot = await this.forPoll(eventId);
    if (!known && !snapshot.progress) this.snapshots.delete(eventId);
    return snapshot;
  }

  /** The snapshot for a poll answered without waiting: null unless a fresh one is here. */
  forPollNow(eventId: string): EventSnapshot | null {
    const snapshot = this.snapshots.get(eventId);
    if (!snapshot) return null;
    snapshot.lastPolledAt = Date.now();
    return snapshot.lastPolledAt - snapshot.loadedAt > 2 * this.env.POLL_SNAPSHOT_MS ? null : snapshot;
  }

  /** The snapshot for a stream tick: read unless one younger than `maxAgeMs` is here (polls keep it so). */
  async forStreams(eventId: string, maxAgeMs: number): Promise<EventSnapshot> {
    const snapshot = this.entry(eventId);
    snapshot.lastStreamedAt = Date.now();
    if (snapshot.lastStreamedAt - snapshot.loadedAt >= maxAgeMs) await this.load(eventId, snapshot);
    return snapshot;
  }

  /**
   * The snapshot for a gate check, with the checkouts that ended: read first when what it knows
   * of them is older than GATE_MAX_STALENESS_MS (the first check, a quiet spell, a refresh
   * loop slower than that); otherwise kept fresh by the refresh loop, so a check reads nothing.
   */
  async forGate(eventId: string): Promise<EventSnapshot> {
    const snapshot = this.entry(eventId);
    snapshot.lastGatedAt = Date.now();
    snapshot.ended ??= { members: new Map(), cursorMs: 0, readStartedAt: 0, lastTrimmedAt: Date.now() };
    const maxAge = this.gateMaxAgeMs();
    // A read already under way may have started before the ended checkouts were wanted: then
    // one more.
    for (let reads = 0; reads < 2 && Date.now() - snapshot.ended.readStartedAt > maxAge; reads++)
      await this.load(eventId, snapshot);
    return snapshot;
  }

  /** The snapshot for a gate check answered without waiting: null unless a fresh one of an existing event is here. */
  forGateNow(eventId: string): EventSnapshot | null {
    const snapshot = this.snapshots.get(eventId);
    if (!snapshot?.ended || !snapshot.progress) return null;
    const now = Date.now();
    if (now - snapshot.ended.readStartedAt > this.gateMaxAgeMs()) return null;
    snapshot.lastGatedAt = now;
    return snapshot;
  }

  /**
   * Drops the snapshot of an event that does not exist, unless polls or streams use it: a gate
   * check of a made-up event id then costs its one read, and no refresh loop after it.
   */
  forgetUnknown(eventId: string): void {
    const snapshot = this.snapshots.get(eventId);
    if (snapshot && !snapshot.progress && snapshot.lastPolledAt === 0 && snapshot.lastStreamedAt === 0)
      this.snapshots.delete(eventId);
  }

  /** A queued member answered here: its heartbeat goes out with the event's next heartbeat call. */
  beat(eventId: string, member: string): void {
    this.snapshots.get(eventId)?.heartbeats.add(member);
  }

  private entry(eventId: string): EventSnapshot {
    let snapshot = this.snapshots.get(eventId);
    if (!snapshot) {
      const now = Date.now();
      snapshot = {
        progress: null,
        flow: null,
        loadedAt: 0,
        lastPolledAt: 0,
        lastStreamedAt: 0,
        lastGatedAt: 0,
        ended: null,
        heartbeats: new Set(),
        lastHeartbeatAt: now,
      };
      this.snapshots.set(eventId, snapshot);
      this.timer ??= setInterval(() => this.refreshAll(), this.env.POLL_SNAPSHOT_MS);
    }
    return snapshot;
  }

  private gateMaxAgeMs(): number {
    return Math.min(GATE_MAX_STALENESS_MS, 2 * this.env.POLL_SNAPSHOT_MS);
  }

  /** One read at a time per event; concurrent callers share it. */
  private load(eventId: string, snapshot: EventSnapshot): Promise<void> {
    const ended = snapshot.ended;
    const startedAt = Date.now();
    snapshot.loading ??= this.repository
      .eventProgress(eventId, ended?.cursorMs)
      .then(async (progress) => {
        // A sharded event's checkouts end in every shard: the gate's snapshot (shard 0's,
        // the event's own) takes in the other shards' too.
        if (ended && progress && progress.shards > 1 && shardOfScope(eventId) === 0) {
          const others = await Promise.all(
            shardScopes(eventId, progress.shards)
              .slice(1)
              .map((scope) => this.repository.eventProgress(scope, ended.cursorMs)),
          );
          for (const other of others) if (other) progress.endedCheckouts.push(...other.endedCheckouts);
        }
        this.stats.snapshots++;
        snapshot.progress = progress;
        snapshot.flow = progress && new FlowSnapshot(progress.flowPairs);
        snapshot.loadedAt = Date.now();
        if (ended) rememberEnded(ended, progress, startedAt);
      })
      .finally(() => {
        snapshot.loading = undefined;
      });
    return snapshot.loading;
  }

  private refreshAll(): void {
    const now = Date.now();
    for (const [eventId, snapshot] of this.snapshots) {
      const lastAsked = Math.max(snapshot.lastPolledAt, snapshot.lastStreamedAt, snapshot.lastGatedAt);
      if (now - lastAsked > SNAPSHOT_IDLE_MS) {
        void this.flushHeartbeats(eventId, snapshot, now, true);
        this.snapshots.delete(eventId);
        continue;
      }
      // Streams read for themselves once per tick; polls and gate checks want the snapshot kept fresh.
      if (now - Math.max(snapshot.lastPolledAt, snapshot.lastGatedAt) <= SNAPSHOT_IDLE_MS)
        this.load(eventId, snapshot).catch((error: unknown) =>
          // A failed refresh leaves the old snapshot: polls then wait for the next one, or read.
          this.logger.debug(
            `snapshot of ${eventId} failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      void this.flushHeartbeats(eventId, snapshot, now, false);
    }
    if (this.snapshots.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Writes the collected heartbeats of one event (batchedHeartbeatIntervalMs). */
  private async flushHeartbeats(
    eventId: string,
    snapshot: EventSnapshot,
    now: number,
    last: boolean,
  ): Promise<void> {
    const idle = snapshot.progress?.idleTimeoutSeconds;
    if (snapshot.heartbeats.size === 0 || !idle) return;
    if (!last && now - snapshot.lastHeartbeatAt < batchedHeartbeatIntervalMs(idle)) return;
    snapshot.lastHeartbeatAt = now;
    const members = [...snapshot.heartbeats];
    snapshot.heartbeats.clear();
    for (let i = 0; i < members.length; i += HEARTBEATS_PER_CALL) {
      this.stats.heartbeatCalls++;
      await this.repository
        .heartbeats(eventId, members.slice(i, i + HEARTBEATS_PER_CALL))
        .catch(() => undefined); // a missed beat: the next poll's or tick's comes within the next interval
    }
  }
}

/** Takes in the ended checkouts of a read that started at `startedAt`, and forgets those that cannot verify any more. */
function rememberEnded(ended: EndedCheckouts, progress: EventProgress | null, startedAt: number): void {
  ended.readStartedAt = startedAt;
  if (!progress) {
    ended.members.clear();
    ended.cursorMs = 0;
    return;
  }
  let latest = ended.cursorMs + ENDED_READ_OVERLAP_MS;
  for (const { member, endedAtMs } of progress.endedCheckouts) {
    ended.members.set(member, endedAtMs);
    if (endedAtMs > latest) latest = endedAtMs;
  }
  ended.cursorMs = Math.max(0, latest - ENDED_READ_OVERLAP_MS);
  if (progress.endedKeepMs !== null && startedAt - ended.lastTrimmedAt >= ENDED_TRIM_INTERVAL_MS) {
    ended.lastTrimmedAt = startedAt;
    // Redis trims by its own clock; this one keeps a minute more for clocks that differ.
    const before = latest - progress.endedKeepMs - 60_000;
    for (const [member, endedAtMs] of ended.members) if (endedAtMs < before) ended.members.delete(member);
  }
}
