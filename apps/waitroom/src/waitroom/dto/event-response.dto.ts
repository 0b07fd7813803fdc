import { ApiProperty } from '@nestjs/swagger';
import { BOT_CHECKS, type BotCheck } from '../../queue/event-config';
import type { EventState } from '../../queue/session';

// The event bodies of the contract (documentation only: views.ts and QueueService build them).

const EVENT_STATES: EventState[] = ['open', 'paused', 'closed'];

/** PUT /admin/events/:event_id (201 created, 200 updated): the stored configuration. */
export class EventConfigResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 100,
    description: 'most sessions in checkout at once',
  })
  capacity!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    nullable: true,
    example: 600,
    description: 'admissions per minute; null = no rate limit',
  })
  admission_rate_per_minute!: number | null;

  @ApiProperty({ type: 'integer', minimum: 10, example: 600 })
  checkout_timeout_seconds!: number;

  @ApiProperty({ enum: EVENT_STATES, example: 'open' })
  state!: EventState;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'nobody is admitted before this instant; null: no opening time',
  })
  opens_at!: string | null;

  @ApiProperty({ example: false, description: 'those who joined before opens_at are put in random order' })
  shuffle_at_open!: boolean;

  @ApiProperty({
    type: 'integer',
    minimum: 10,
    nullable: true,
    example: 120,
    description: 'a queued session not polled for this long is abandoned; null: the default',
  })
  idle_timeout_seconds!: number | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'https://shop.example.com/checkout',
    description: 'where the waiting page sends an admitted person; null: the page shows the token',
  })
  checkout_url!: string | null;

  @ApiProperty({
    enum: BOT_CHECKS,
    example: 'off',
    description: 'proof_of_work: a join needs a solved challenge',
  })
  bot_check!: BotCheck;

  @ApiProperty({
    type: 'integer',
    minimum: 10,
    example: 100000,
    description: "the challenges' difficulty: the most SHA-256 hashes a solve takes",
  })
  bot_check_max_number!: number;

  @ApiProperty({
    type: [String],
    example: ['https://shop.example.com'],
    description:
      "origins (besides checkout_url's) the waiting page may send an admitted person back to as return_to",
  })
  gate_origins!: string[];

  @ApiProperty({
    example: false,
    description: 'a join is admitted at once while nobody is queued and capacity and rate allow',
  })
  passthrough_when_free!: boolean;

  @ApiProperty({ example: 1, description: "how many hash slots the event's live state is split over" })
  shards!: number;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'string' },
    example: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
    description: "the public JWK of the site's identity tokens; null: joins need none",
  })
  join_identity_jwk!: Record<string, string> | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'Doors open at 8 pm.',
    description: 'the message to everyone waiting (plain text); null: none',
  })
  message!: string | null;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'when the event closes by itself; null: no scheduled close (or it has happened)',
  })
  closes_at!: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: null, description: "the waiting page's heading" })
  display_name!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description: "the waiting page's accent, #rrggbb",
  })
  brand_color!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description: 'an https logo on the waiting page',
  })
  logo_url!: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-01T09:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-11-01T09:30:00.000Z' })
  updated_at!: string;
}

/** GET /events/:event_id/notice. */
export class EventNoticeResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({ enum: EVENT_STATES, example: 'open' })
  state!: EventState;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'Doors open at 8 pm.',
    description: "the operator's current message (plain text), or null",
  })
  message!: string | null;
}

/** GET /events/:event_id/stats: live counts (cluster-wide, from Redis) and totals since creation. */
export class EventStatsResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({ enum: EVENT_STATES, example: 'open' })
  state!: EventState;

  @ApiProperty({ type: 'integer', minimum: 1, example: 100 })
  capacity!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 1200, description: 'people queued' })
  queue_length!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 100, description: 'people admitted, in checkout' })
  active_count!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 5000 })
  admitted_total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 4500 })
  completed_total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 300 })
  failed_total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 100 })
  expired_total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 250 })
  left_total!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    nullable: true,
    example: 600,
    description: 'the configured rate; null = no rate limit',
  })
  admission_rate_per_minute!: number | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 6500, description: 'sessions ever created' })
  joined_total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 50, description: 'queued sessions dropped as idle' })
  abandoned_total!: number;

  @ApiProperty({
    type: 'number',
    minimum: 0,
    nullable: true,
    example: 598.5,
    description: 'admissions per minute as measured recently (one decimal); null until measured',
  })
  observed_admissions_per_minute!: number | null;
}

/** How far off the waits told at join were, for those admitted so far who were told one. */
export class EstimateAccuracyResponseDto {
  @ApiProperty({
    example: 120,
    description: 'people admitted who were told an estimated wait when they joined',
  })
  admitted_with_estimate!: number;

  @ApiProperty({ example: 40, description: 'of them, told a wait within 10% of the one they had' })
  within_10_percent!: number;

  @ApiProperty({ example: 96, description: 'within 25% (those within 10% included)' })
  within_25_percent!: number;

  @ApiProperty({ example: 114, description: 'within 50%' })
  within_50_percent!: number;

  @ApiProperty({ example: 119, description: 'within 100%' })
  within_100_percent!: number;
}

/** GET /admin/events/:event_id and each item of GET /admin/events: the configuration with its stats. */
export class EventDetailsResponseDto extends EventConfigResponseDto {
  @ApiProperty({ type: EventStatsResponseDto })
  stats!: EventStatsResponseDto;

  @ApiProperty({ type: EstimateAccuracyResponseDto })
  estimate_accuracy!: EstimateAccuracyResponseDto;
}

/** GET /admin/events. */
export class EventListResponseDto {
  @ApiProperty({ type: [EventDetailsResponseDto], description: 'every configured event' })
  events!: EventDetailsResponseDto[];
}

/** DELETE /admin/events/:event_id. */
export class RemoveEventResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({ enum: [true], example: true })
  removed!: true;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1200,
    description: 'queued and ready sessions ended as left (one QUEUE_LEFT each, reason removed)',
  })
  ended_sessions!: number;
}

/** POST /admin/events/:event_id/sold-out. */
export class SoldOutResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({ enum: ['closed'], example: 'closed' })
  state!: 'closed';

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 1200,
    description: 'queued sessions this call ended as left (left_reason sold_out, one QUEUE_LEFT each)',
  })
  ended_sessions!: number;
}

/** One entry of the audit log. */
export class AuditEntryDto {
  @ApiProperty({ type: 'string', format: 'date-time', example: '2026-12-01T21:58:03.120Z' })
  at!: string;

  @ApiProperty({
    example: 'alice',
    description: 'the name of the admin key that made the change (never the key)',
  })
  actor!: string;

  @ApiProperty({ enum: ['create', 'update', 'sold_out', 'delete'], example: 'update' })
  action!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: {
        old: { description: 'the value before the change (null: not set)' },
        new: { description: 'the value after the change (null: not set)' },
      },
    },
    example: { capacity: { old: 100, new: 150 }, message: { old: null, new: 'Doors open at 8 pm.' } },
    description: 'each changed field (the PUT body names) with its old and new value',
  })
  changes!: Record<string, { old: unknown; new: unknown }>;
}

/** GET /admin/events/:event_id/audit. */
export class AuditResponseDto {
  @ApiProperty({ example: 'concert-2024' })
  event_id!: string;

  @ApiProperty({ type: [AuditEntryDto], description: 'newest first, at most 10,000' })
  entries!: AuditEntryDto[];
}
