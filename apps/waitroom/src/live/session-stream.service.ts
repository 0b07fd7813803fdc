import { Injectable, Logger, OnModuleDestroy, type MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { Environment } from '../config/environment';
import { EventSnapshots, type EventSnapshot } from './event-snapshots';
import { FlowSnapshot, followPosition, positionBaseOf, type PositionBase } from './queue-flow';
import { isTerminal, type SessionRecord } from '../queue/session';
import { parseSessionId, shardOfMember, type SessionRef } from '../queue/session-id';
import { ShardRanks, type ElsewhereCounter } from '../queue/shard-ranks';
import { eventOfScope, shardScope } from '../redis/redis-keys';
import type { EventProgress } from '../queue/queue.scripts';
import { QueueRepository } from '../queue/queue.repository';
import { QueueService } from '../queue/queue.service';

const KEEP_ALIVE_MS = 15000;
/** A ready session's status changes through checkout (another process): it is read again this often. */
const READY_RECHECK_MS = 5000;
/** Direct reads at once per instance, so a burst of them never crowds out requests. */
const DIRECT_READS_AT_ONCE = 32;
/**
 * The SSE `retry` of a stream's last event when it ends for good (a terminal status, an unknown
 * session). An EventSource reconnects to a stream that ended, after about 3 s by default, and
 * would then be told the same again for as long as the page stays open; this makes a client
 * that does not close it come back once a minute instead. Streams ended for other reasons
 * (shutdown) keep the default, so they come back soon to another instance.
 */
export const ENDED_STREAM_RETRY_MS = 60_000;

interface Stream {
  ref: SessionRef;
  /** The scope of the session's shard (shardScope): streams are grouped, and snapshots kept, by it. */
  scope: string;
  subscriber: Subscriber<MessageEvent>;
  /** Last direct read, updated from progress snapshots in between. */
  record?: SessionRecord;
  base?: PositionBase;
  /** The session must be read directly on the next tick. */
  stale: boolean;
  reading: boolean;
  nextRecheckAt: number;
  fingerprint: string;
  lastSentAt: number;
}

interface EventStreams {
  streams: Set<Stream>;
}

/**
 * Server-sent events for sessions, with a cost that does not grow with the number of streams.
 *
 * Each instance keeps the streams it serves grouped by event. Once per tick (STREAM_TICK_MS) it
 * takes the event's progress snapshot (event-snapshots.ts: shared with status polls, read only
 * when they have not just read it) and turns it into every stream's position (queue-flow.ts),
 * exactly; a stream reads its own session only when the snapshot says its status may have
 * changed (everyone ahead gone, a change in its own bucket) or, while ready, every few seconds.
 * Heartbeats of the streamed queued sessions go out with the polls' in one call per event, as
 * often as batchedHeartbeatIntervalMs says, instead of one write per stream per tick.
 *
 * A stream sends the GET body on every change of status or position, a keep-alive otherwise,
 * and ends after a terminal status.
 */
@Injectable()
export class SessionStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(SessionStreamService.name);
  private readonly events = new Map<string, EventStreams>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private directReadsRunning = 0;
  /** Streams waiting for a direct read, served in order by at most DIRECT_READS_AT_ONCE at a time. */
  private readonly readQueue = new Set<Stream>();
  /** Counters read by tests and the stream benchmark. */
  readonly stats = { directReads: 0, messages: 0 };

  constructor(
    private readonly waitroom: QueueService,
    private readonly repository: QueueRepository,
    private readonly snapshots: EventSnapshots,
    private readonly shardRanks: ShardRanks,
    private readonly env: Environment,
  ) {}

  get openStreams(): number {
    let count = 0;
    for (const event of this.events.values()) count += event.streams.size;
    return count;
  }

  /** Ends every open stream (graceful shutdown: the HTTP server waits for open responses). */
  closeAll(): void {
    for (const event of [...this.events.values()]) for (const stream of [...event.streams]) this.end(stream);
  }

  onModuleDestroy(): void {
    this.closeAll();
  }

  watch(sessionId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const ref = parseSessionId(sessionId);
      if (!ref) {
        subscriber.next(notFound());
        subscriber.complete();
        return undefined;
      }
      const stream: Stream = {
        ref,
        scope: shardScope(ref.eventId, shardOfMember(ref.member)),
        subscriber,
        stale: true,
        reading: false,
        nextRecheckAt: 0,
        fingerprint: '',
        lastSentAt: Date.now(),
      };
      this.add(stream);
      this.requestRead(stream);
      return () => this.remove(stream);
    });
  }

  private add(stream: Stream): void {
    let event = this.events.get(stream.scope);
    if (!event) {
      event = { streams: new Set() };
      this.events.set(stream.scope, event);
    }
    event.streams.add(stream);
    // While a tick runs, it schedules the next one itself when it ends.
    if (!this.timer && !this.ticking)
      this.timer = setTimeout(() => void this.tick(), this.env.STREAM_TICK_MS);
  }

  private remove(stream: Stream): void {
    this.readQueue.delete(stream);
    const event = this.events.get(stream.scope);
    if (!event) return;
    event.streams.delete(stream);
    if (event.streams.size === 0) this.events.delete(stream.scope);
    if (this.events.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private end(stream: Stream): void {
    this.remove(stream);
    stream.subscriber.complete();
  }

  /**
   * One snapshot per event with streams. The next tick is due one interval after this one
   * started, or at once if this one took longer: ticks never overlap, and a slow one (many
   * thousands of streams to write to) delays the next instead of making it skip a whole interval.
   */
  private async tick(): Promise<void> {
    const started = Date.now();
    this.timer = undefined;
    this.ticking = true;
    try {
      await Promise.all([...this.events].map(([scope, event]) => this.tickEvent(scope, event)));
    } finally {
      this.ticking = false;
      if (this.events.size > 0 && !this.timer) {
        const wait = Math.max(0, this.env.STREAM_TICK_MS - (Date.now() - started));
        this.timer = setTimeout(() => void this.tick(), wait);
      }
    }
  }

  /** `scope`: the event's, or for a sharded event one shard's (streams are grouped by shard). */
  private async tickEvent(scope: string, event: EventStreams): Promise<void> {
    let snapshot: EventSnapshot;
    let elsewhere: ElsewhereCounter | null = null;
    try {
      // Not older than half a tick: a change reaches the streams within about one tick.
      snapshot = await this.snapshots.forStreams(scope, this.env.STREAM_TICK_MS / 2);
      const shards = snapshot.progress?.shards ?? 1;
      if (shards > 1) {
        // Samples read after the latest join among these streams' sessions (ShardRanks).
        let latestJoin = 0;
        for (const stream of event.streams)
          if (stream.record?.status === 'queued') latestJoin = Math.max(latestJoin, stream.record.joinedAtMs);
        elsewhere = await this.shardRanks.counter(eventOfScope(scope), shards, latestJoin);
      }
    } catch {
      return; // Store briefly unavailable: the streams stay open and the next tick tries again.
    }
    const { progress, flow } = snapshot;
    const now = Date.now();
    for (const stream of event.streams) {
      if (progress && flow) this.follow(stream, progress, flow, now, elsewhere);
      else stream.stale = true; // the event is gone: each stream learns its session's end directly
      if (stream.record?.status === 'queued' && progress?.idleTimeoutSeconds)
        this.snapshots.beat(scope, stream.ref.member);
      if (stream.stale || (stream.record && stream.record.status !== 'queued' && now >= stream.nextRecheckAt))
        this.requestRead(stream);
      else this.keepAlive(stream, now);
    }
  }

  /**
   * Updates a queued stream's record from the event's progress, or marks it for a direct read.
   * `elsewhere`: for a sharded event's stream, what the other shards add (`progress` is its shard's).
   */
  private follow(
    stream: Stream,
    progress: EventProgress,
    flow: FlowSnapshot,
    now: number,
    elsewhere: ElsewhereCounter | null,
  ): void {
    const record = stream.record;
    if (!record || stream.reading) return;
    const others = elsewhere?.(shardOfMember(stream.ref.member), record.score, record.joinedAtMs);
    if (others === null) {
      // Joined after the other shards' samples were read: its place is read directly.
      stream.stale = true;
      return;
    }
    const queueLength = others ? others.queueLength : progress.queueLength;
    if (record.status !== 'queued' || !stream.base) {
      if (record.status !== 'queued') this.refreshEventFields(stream, record, progress, queueLength, now);
      return;
    }
    const inShard = followPosition(stream.base, progress, flow);
    if (inShard === null) {
      stream.stale = true;
      return;
    }
    const position = inShard + (others?.ahead ?? 0);
    stream.record = {
      ...record,
      position,
      queueLength: Math.max(queueLength, position),
      admissionRatePerSecond: progress.admissionRatePerSecond,
      eventState: progress.state,
      opensAtMs: progress.opensAtMs,
      eventMessage: progress.message,
    };
    this.send(stream, now);
  }

  private refreshEventFields(
    stream: Stream,
    record: SessionRecord,
    progress: EventProgress,
    queueLength: number,
    now: number,
  ): void {
    stream.record = {
      ...record,
      queueLength,
      eventState: progress.state,
      eventMessage: progress.message,
    };
    this.send(stream, now);
  }

  /** Queues a direct read of the stream's session (once, however often it is asked for). */
  private requestRead(stream: Stream): void {
    if (stream.reading) return;
    this.readQueue.add(stream);
    this.pumpReads();
  }

  /** Starts queued reads up to DIRECT_READS_AT_ONCE; each one finishing starts the next. */
  private pumpReads(): void {
    for (const stream of this.readQueue) {
      if (this.directReadsRunning >= DIRECT_READS_AT_ONCE) return;
      this.readQueue.delete(stream);
      void this.readDirectly(stream).finally(() => this.pumpReads());
    }
  }

  private async readDirectly(stream: Stream): Promise<void> {
    if (stream.reading) return;
    stream.reading = true;
    this.directReadsRunning++;
    try {
      const read = await this.repository.streamSession(stream.ref);
      this.stats.directReads++;
      if (!read) {
        stream.subscriber.next(notFound());
        this.end(stream);
        return;
      }
      const session = await this.repository.inEvent(stream.ref, read.session);
      stream.record = session;
      stream.stale = false;
      // The base is the place in the session's own shard (the event's place for an unsharded event).
      stream.base = positionBaseOf(read) ?? undefined;
      stream.nextRecheckAt =
        session.status === 'ready' && session.expiresAtMs !== null
          ? Math.min(Date.now() + READY_RECHECK_MS, session.expiresAtMs + 50)
          : Date.now() + READY_RECHECK_MS;
      this.send(stream, Date.now());
      if (isTerminal(session.status)) this.end(stream);
    } catch (error) {
      // Store briefly unavailable: the next tick tries again.
      stream.stale = true;
      this.logger.debug(`stream read failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      stream.reading = false;
      this.directReadsRunning--;
    }
  }

  /** Sends the body if status or position changed; else a keep-alive now and then. */
  private send(stream: Stream, now: number): void {
    const record = stream.record;
    if (!record) return;
    // The message last: it is free text, so it cannot run into the fields before it.
    const fingerprint = `${record.status}|${record.position}|${record.eventState}|${record.eventMessage}`;
    if (fingerprint === stream.fingerprint) return this.keepAlive(stream, now);
    stream.fingerprint = fingerprint;
    stream.lastSentAt = now;
    this.stats.messages++;
    stream.subscriber.next({
      type: 'session',
      data: this.waitroom.view(record),
      ...(isTerminal(record.status) ? { retry: ENDED_STREAM_RETRY_MS } : {}),
    });
  }

  private keepAlive(stream: Stream, now: number): void {
    if (now - stream.lastSentAt < KEEP_ALIVE_MS) return;
    stream.lastSentAt = now;
    stream.subscriber.next({ type: 'keep-alive', data: { at: new Date(now).toISOString() } });
  }
}

function notFound(): MessageEvent {
  return {
    type: 'error',
    data: { code: 'SESSION_NOT_FOUND', message: 'session not found (unknown or purged)' },
    retry: ENDED_STREAM_RETRY_MS,
  };
}
