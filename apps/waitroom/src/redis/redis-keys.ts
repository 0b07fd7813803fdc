/**
 * Every Redis key Waitroom uses is built here (see docs/decisions/0004-redis-key-layout.md).
 *
 * All keys of one event share the hash tag `{event_id}`, so on a Redis Cluster they live in one
 * slot and every per-event script can touch them atomically. The cross-event keys (the registry
 * of event ids, the set of events with work, the sweep's lease) are written on their own.
 */
/**
 * A sharded event keeps shard 0 under its own tag `{event_id}` and shard i under `{event_id#i}`
 * (docs/decisions/0023-sharded-events.md): each in its own hash slot. `#` cannot appear in an
 * event id, so no event's keys meet another's shard. A shard's "scope" is that tag's content:
 * what forEvent takes, and what the registry of events with work and the outbox relay name.
 */
const SHARD_SEPARATOR = '#';

/** The scope of shard `shard` of an event: the event id itself for shard 0. */
export function shardScope(eventId: string, shard: number): string {
  return shard === 0 ? eventId : `${eventId}${SHARD_SEPARATOR}${shard}`;
}

/** The scopes of every shard of an event, shard 0 first. */
export function shardScopes(eventId: string, shards: number): string[] {
  return Array.from({ length: Math.max(1, shards) }, (_, shard) => shardScope(eventId, shard));
}

/** The event a scope belongs to. */
export function eventOfScope(scope: string): string {
  const separator = scope.indexOf(SHARD_SEPARATOR);
  return separator < 0 ? scope : scope.slice(0, separator);
}

/** The shard a scope names (0: the event's own tag). */
export function shardOfScope(scope: string): number {
  const separator = scope.indexOf(SHARD_SEPARATOR);
  return separator < 0 ? 0 : Number(scope.slice(separator + 1));
}

export class EventKeys {
  /** `<prefix>{<scope>}:` */
  private readonly base: string;

  /** `scope`: the event id, or one shard's scope (shardScope). */
  constructor(
    prefix: string,
    readonly scope: string,
  ) {
    this.base = `${prefix}{${scope}}:`;
  }

  /** The event these keys belong to (the same for every shard of it). */
  get eventId(): string {
    return eventOfScope(this.scope);
  }

  /** Which shard of the event these keys are (0: the event's own tag). */
  get shard(): number {
    return shardOfScope(this.scope);
  }

  /** Hash: the operator's configuration of the event. */
  get config(): string {
    return `${this.base}config`;
  }
  /** Sorted set of queued member ids, score = queue order (queue-order.ts). */
  get queue(): string {
    return `${this.base}queue`;
  }
  /** Counter giving every join a strictly increasing arrival number. */
  get sequence(): string {
    return `${this.base}seq`;
  }
  /** Sorted set of admitted (`ready`) member ids, score = checkout deadline in ms. */
  get active(): string {
    return `${this.base}active`;
  }
  /**
   * Sorted set of admitted member ids whose checkout ended (completed, failed, expired, left),
   * score = when it ended in ms, kept while their admission tokens could still verify: what the
   * gate reads with its snapshot to stop a pass (redis/scripts/includes/checkout-end.lua).
   */
  get endedCheckouts(): string {
    return `${this.base}ended`;
  }
  /** Sorted set of queued member ids, score = last heartbeat in ms (idle timeout). */
  get heartbeats(): string {
    return `${this.base}seen`;
  }
  /** Hash of running totals (joined, admitted, completed, ...). */
  get stats(): string {
    return `${this.base}stats`;
  }
  /**
   * Hash: per flow bucket of the queue, joins that landed ahead of people already queued (`j…`)
   * and departures other than admission (`d…`), and their totals per priority band (`J…`, `D…`):
   * what streams and status polls turn into live positions. Buckets behind the queue's head are
   * folded into one per band (`h`: the head's bucket at the last fold; queue-order.lua).
   */
  get flow(): string {
    return `${this.base}flow`;
  }
  /** Hash: admission token bucket and the admission-rate estimate. */
  get pace(): string {
    return `${this.base}pace`;
  }
  /** Stream: domain events waiting to be published to Kafka (the transactional outbox). */
  get outbox(): string {
    return `${this.base}outbox`;
  }
  /** String: which instance relays this event's outbox right now (a lease, for efficiency only). */
  get outboxLease(): string {
    return `${this.base}outbox:lease`;
  }
  /**
   * String: which instance is taking this sharded event's admission step right now (a lock in
   * its shard 0, for one step), and the counter of the steps' fencing epochs
   * (admission/sharded-admission.ts).
   */
  get admissionLock(): string {
    return `${this.base}admit:lock`;
  }
  get admissionEpoch(): string {
    return `${this.base}admit:epoch`;
  }
  /** Stream: outbox entries the relay could not turn into a message, kept for an operator. */
  get outboxQuarantine(): string {
    return `${this.base}outbox:quarantine`;
  }
  /** Stream: the event's recent history, one sample of its counts and totals per interval (history/). */
  get history(): string {
    return `${this.base}history`;
  }
  /**
   * List: the event's audit log, newest first, capped (includes/audit.lua). Kept for the
   * retention period after the event's removal; a new event of the same id goes on with it.
   */
  get audit(): string {
    return `${this.base}audit`;
  }
  /** Prefix of session hashes; the full key is this plus the member id. */
  get sessionPrefix(): string {
    return `${this.base}s:`;
  }
  session(memberId: string): string {
    return `${this.sessionPrefix}${memberId}`;
  }
  /** Prefix of the per-user index; the full key is this plus the user id. */
  get userPrefix(): string {
    return `${this.base}u:`;
  }
  user(userId: string): string {
    return `${this.userPrefix}${userId}`;
  }
  /** Fixed-window join counter of one client address for this event. */
  joinRateLimit(clientAddress: string): string {
    return `${this.base}rl:${clientAddress}`;
  }
  /** String: marks a proof of work used for this event, until the proof expires (join-12.lua). */
  usedProof(proofId: string): string {
    return `${this.base}proof:${proofId}`;
  }
}

export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** The keys of an event (its shard 0), or of one shard of it given its scope (shardScope). */
  forEvent(scope: string): EventKeys {
    return new EventKeys(this.prefix, scope);
  }

  /** The keys of shard `shard` of an event. */
  forShard(eventId: string, shard: number): EventKeys {
    return new EventKeys(this.prefix, shardScope(eventId, shard));
  }

  /** Set of every configured event id: what the admin list and the sweep walk. */
  get eventRegistry(): string {
    return `${this.prefix}events`;
  }

  /**
   * Sorted set of the events that have work (queued, admitted or unpublished), score = when it
   * was last marked: what the admission scheduler and the outbox relay visit (active-events.ts).
   */
  get activeEvents(): string {
    return `${this.prefix}active-events`;
  }

  /**
   * Sorted set of events with a scheduled close, score = closes_at in ms: what every instance's
   * admission tick looks at to close them on time (registry/scheduled-closes.ts). An index only:
   * the event's config holds the truth.
   */
  get scheduledCloses(): string {
    return `${this.prefix}scheduled-closes`;
  }

  /** String: the secret that signs session tickets, shared by every instance (session-ticket-key.ts). */
  get sessionTicketKey(): string {
    return `${this.prefix}session-ticket-key`;
  }

  /** String: which instance runs the sweep for events with unmarked work right now (a lease). */
  get activeEventsSweepLease(): string {
    return `${this.prefix}active-events:sweep-lease`;
  }

  /** String: which instance samples the events' history right now (a lease: one sampler per interval). */
  get historySampleLease(): string {
    return `${this.prefix}history:sample-lease`;
  }
}
