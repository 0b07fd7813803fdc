import type { EventState, LeftReason, SessionStatus } from '@waitroom/contracts';

export type { EventState, LeftReason, SessionStatus };

/** Session statuses and the transitions between them (the contract's "Session statuses"). */
export const SessionStatuses = [
  'queued',
  'ready',
  'completed',
  'failed',
  'expired',
  'left',
  'abandoned',
] as const satisfies readonly SessionStatus[];

/**
 * queued -> ready -> completed | failed | expired;  queued -> left | abandoned;  ready -> left | expired.
 * The Lua scripts are what enforce it (each changes a status only from the ones listed here);
 * this table documents it and the spec checks the scripts' choices against it.
 */
const Transitions: Readonly<Record<SessionStatus, readonly SessionStatus[]>> = {
  queued: ['ready', 'left', 'abandoned'],
  ready: ['completed', 'failed', 'expired', 'left'],
  completed: [],
  failed: [],
  expired: [],
  left: [],
  abandoned: [],
};

export function isTerminal(status: SessionStatus): boolean {
  return Transitions[status].length === 0;
}

/** A session as the repository reads it from Redis (times in epoch ms). */
export interface SessionRecord {
  sessionId: string;
  eventId: string;
  userId: string;
  priority: number;
  status: SessionStatus;
  joinedAtMs: number;
  admittedAtMs: number | null;
  expiresAtMs: number | null;
  /** 1-based among queued sessions; null when not queued. */
  position: number | null;
  queueLength: number;
  /** People admitted per second, smoothed; null until measured. */
  admissionRatePerSecond: number | null;
  eventState: EventState | null;
  opensAtMs: number | null;
  /** Why a `left` or `abandoned` session ended (leftReasonOf); null otherwise. */
  leftReason: LeftReason | null;
  /** The event's current message to its waiting people, or null. */
  eventMessage: string | null;
  /**
   * A session of a sharded event: its queue score (the end of its baseline, join-12.lua), by
   * which the other shards' people ahead of it are counted (queue/shard-ranks.ts); else null.
   */
  score: number | null;
}

/**
 * The left_reason of a session: what sold-out and removal stored with it (`lr`), else what its
 * status says (a `left` session without one left by itself; leave-7.lua stores none).
 */
export function leftReasonOf(status: SessionStatus, stored: string | null | undefined): LeftReason | null {
  if (status === 'abandoned') return 'abandoned';
  if (status !== 'left') return null;
  return stored === 'sold_out' || stored === 'removed' ? stored : 'user';
}

const HEARTBEAT_MAX_INTERVAL_MS = 30000;

/**
 * How often an instance writes the batched heartbeats of the queued sessions it streams or
 * answers polls for: at least three times per idle timeout, so nobody still watching is
 * abandoned, and at most every 30 s.
 */
export function batchedHeartbeatIntervalMs(idleTimeoutSeconds: number): number {
  return Math.min(HEARTBEAT_MAX_INTERVAL_MS, (idleTimeoutSeconds * 1000) / 3);
}
