import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';

/**
 * Messages Waitroom publishes. Key = event_id, header `message_id` = body.message_id.
 * Delivery is at-least-once: consumers dedupe on message_id.
 */
abstract class ProducedMessage {
  /** Unique per message; the same value is sent in the `message_id` header. */
  @IsString() @IsNotEmpty() message_id!: string;
  @IsString() @IsNotEmpty() session_id!: string;
  @IsString() @IsNotEmpty() @MaxLength(128) user_id!: string;
  @IsString() @IsNotEmpty() @MaxLength(64) event_id!: string;
  /** When the message was produced by the state change (ISO-8601 UTC). */
  @IsISO8601({ strict: true }) timestamp!: string;
}

/** QUEUE_JOINED: a new place in the queue (not sent again when a user re-joins their live session). */
export class QueueJoinedMessage extends ProducedMessage {
  @IsInt() @Min(0) @Max(9) priority!: number;
  /** 1-based position at the moment of joining. */
  @IsInt() @Min(1) position!: number;
  @IsISO8601({ strict: true }) joined_at!: string;
}

export const LeaveReasons = ['user', 'abandoned', 'expired', 'removed', 'sold_out'] as const;
export type LeaveReason = (typeof LeaveReasons)[number];

/**
 * QUEUE_LEFT: a session left the queue or its checkout slot.
 * `user`: DELETE /sessions/:id; `abandoned`: stopped polling past the event's idle timeout;
 * `expired`: admitted but the checkout window passed (or checkout reported CHECKOUT_EXPIRED);
 * `removed`: the operator removed the (closed) event while the session was queued or ready;
 * `sold_out`: the operator declared the event sold out while the session was queued.
 */
export class QueueLeftMessage extends ProducedMessage {
  @IsIn(LeaveReasons) reason!: LeaveReason;
  @IsISO8601({ strict: true }) left_at!: string;
}

/** QUEUE_READY: admitted into checkout until expires_at, with a token checkout can verify offline. */
export class QueueReadyMessage extends ProducedMessage {
  @IsISO8601({ strict: true }) admitted_at!: string;
  @IsISO8601({ strict: true }) expires_at!: string;
  /** JWT (EdDSA) verifiable with GET /.well-known/jwks.json: sub=session_id, aud=event_id, exp=expires_at. */
  @IsString() @IsNotEmpty() admission_token!: string;
}

export type ProducedMessageOf = {
  QUEUE_JOINED: QueueJoinedMessage;
  QUEUE_LEFT: QueueLeftMessage;
  QUEUE_READY: QueueReadyMessage;
};
