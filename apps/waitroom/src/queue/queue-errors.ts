import { DomainError } from '../common/domain-error';

/** Why the queue refused a join, a read or an operator's change. */
export type QueueErrorCode =
  | 'PRIORITY_NOT_ALLOWED'
  | 'EVENT_NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'EVENT_CLOSED'
  | 'EVENT_NOT_CLOSED'
  /** A config change that would break the published pre-queue draw (upsert-event-3.lua). */
  | 'DRAW_FIXED'
  | 'SHARDS_FIXED'
  /** Too many joins from one client address (JOIN_RATE_LIMIT_PER_MINUTE). */
  | 'RATE_LIMITED'
  /** The event's outbox holds OUTBOX_MAX_BACKLOG unpublished messages: Kafka is behind. */
  | 'OUTBOX_FULL';

export class QueueError extends DomainError<QueueErrorCode> {}

export const eventNotFound = (eventId: string) =>
  new QueueError('EVENT_NOT_FOUND', `event ${eventId} does not exist`);
export const sessionNotFound = () =>
  new QueueError('SESSION_NOT_FOUND', 'session not found (unknown or purged)');
