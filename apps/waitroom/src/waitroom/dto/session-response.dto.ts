import { ApiProperty } from '@nestjs/swagger';
import { SessionStatuses, type SessionStatus } from '../../queue/session';

// The session bodies of the contract (documentation only: views.ts builds them).

/**
 * GET /sessions/:session_id (and the data of every event of its stream), and POST /join: the
 * session, 201 for a new place, 200 for the live one this user already has.
 */
export class SessionResponseDto {
  @ApiProperty({
    example: 'concert-2024~Yk3v2q8xQ1mW9rT0aB7cDw',
    description: 'unguessable, opaque: the caller capability for this place',
  })
  session_id!: string;

  @ApiProperty({ example: 'user-001' })
  user_id!: string;

  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 9, example: 0 })
  priority!: number;

  @ApiProperty({ enum: SessionStatuses, example: 'queued' })
  status!: SessionStatus;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    nullable: true,
    example: 42,
    description: '1-based among those still queued; null when not queued',
  })
  position!: number | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 1200, description: 'people queued for the event' })
  queue_length!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    nullable: true,
    example: 84,
    description: 'null while unknown (no admission rate measured yet, or the event is not moving)',
  })
  estimated_wait_seconds!: number | null;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-12-01T10:00:00.123Z' })
  joined_at!: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'when the session was admitted; null before',
  })
  admitted_at!: string | null;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'deadline of the checkout window; set only while ready',
  })
  expires_at!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description:
      'JWT (EdDSA) for checkout, verifiable with /.well-known/jwks.json: sub = session_id, aud = event_id, ' +
      'exp = expires_at, user_id; set only while ready',
  })
  admission_token!: string | null;

  @ApiProperty({
    enum: ['user', 'abandoned', 'removed', 'sold_out'],
    nullable: true,
    example: null,
    description:
      'why a left or abandoned session ended: user (it left), abandoned (stopped polling), removed (the event ' +
      'was removed), sold_out (the operator declared the event sold out); null for every other status',
  })
  left_reason!: 'user' | 'abandoned' | 'removed' | 'sold_out' | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description: "the operator's current message to the event's waiting people (plain text), or null",
  })
  event_message!: string | null;
}

/** DELETE /sessions/:session_id. */
export class LeaveResponseDto {
  @ApiProperty({ example: 'concert-2024~Yk3v2q8xQ1mW9rT0aB7cDw' })
  session_id!: string;

  @ApiProperty({
    enum: SessionStatuses,
    example: 'left',
    description: 'left; a session that had already ended keeps (and shows) its final status',
  })
  status!: SessionStatus;
}
