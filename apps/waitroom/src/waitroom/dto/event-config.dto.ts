import { MAX_SHARDS } from '../../queue/session-id';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  IsCheckoutUrl,
  IsGateOrigin,
  IsHttpsUrl,
  IsIsoInstant,
  IsPlainText,
  IsPublicIdentityJwk,
} from '../../http/validation';
import {
  BOT_CHECKS,
  DEFAULT_BOT_CHECK_MAX_NUMBER,
  type BotCheck,
  type EventSettingsRequest,
} from '../../queue/event-config';

/** Longest event message, in characters (CONTRACT.md). */
export const EVENT_MESSAGE_MAX_LENGTH = 500;

export class UpsertEventDto implements EventSettingsRequest {
  @ApiProperty({
    type: 'integer',
    example: 100,
    minimum: 1,
    description: 'most sessions in checkout at once',
  })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  capacity!: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 600,
    minimum: 1,
    nullable: true,
    description: 'admissions per minute; null = no rate limit',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  admission_rate_per_minute?: number | null;

  @ApiPropertyOptional({ type: 'integer', example: 600, minimum: 10, default: 600 })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(86_400)
  checkout_timeout_seconds?: number;

  @ApiPropertyOptional({ enum: ['open', 'paused', 'closed'], default: 'open' })
  @IsOptional()
  @IsIn(['open', 'paused', 'closed'])
  state?: 'open' | 'paused' | 'closed';

  @ApiPropertyOptional({
    type: 'string',
    example: '2026-12-01T10:00:00Z',
    nullable: true,
    format: 'date-time',
    description:
      'nobody is admitted before this instant; YYYY-MM-DDTHH:MM[:SS[.fraction]] with Z or ±HH:MM (RFC 3339)',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsIsoInstant()
  opens_at?: string | null;

  @ApiPropertyOptional({
    default: false,
    description:
      'put those who joined before opens_at in a random order drawn from a secret seed, committed to before ' +
      'opening and revealed at opens_at (GET /events/:id/draw). Fixed once anybody has joined; with it, opens_at ' +
      'cannot change once passed and, once people have joined, only moves to another future instant (409 DRAW_FIXED)',
  })
  @IsOptional()
  @IsBoolean()
  shuffle_at_open?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    example: 120,
    minimum: 10,
    nullable: true,
    description: 'a queued session not polled for this long is abandoned',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsInt()
  @Min(10)
  @Max(86_400)
  idle_timeout_seconds?: number | null;

  @ApiPropertyOptional({
    type: 'string',
    example: 'https://shop.example.com/checkout',
    nullable: true,
    maxLength: 2048,
    description:
      'where the waiting page sends an admitted person, with waitroom_token=<admission_token> added ' +
      '(absolute https URL; http only for localhost); null or absent: the page shows the token to copy',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @MaxLength(2048)
  @IsCheckoutUrl()
  checkout_url?: string | null;

  @ApiPropertyOptional({
    enum: BOT_CHECKS,
    default: 'off',
    description:
      'proof_of_work: a join needs `altcha`, a solved challenge from GET /events/:event_id/challenge ' +
      '(403 PROOF_REQUIRED / PROOF_INVALID otherwise); re-joins of a live place and x-api-key callers are exempt',
  })
  @IsOptional()
  @IsIn(BOT_CHECKS)
  bot_check?: BotCheck;

  @ApiPropertyOptional({
    type: 'integer',
    example: DEFAULT_BOT_CHECK_MAX_NUMBER,
    minimum: 10,
    maximum: 100_000_000,
    default: DEFAULT_BOT_CHECK_MAX_NUMBER,
    description:
      "the challenges' difficulty: a solve takes between half and all of this many SHA-256 hashes " +
      '(the default is about a second on a phone)',
  })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(100_000_000)
  bot_check_max_number?: number;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: 10,
    example: ['https://shop.example.com'],
    description:
      "origins (https://host[:port]; http only for localhost) besides checkout_url's that the waiting page may " +
      'send an admitted person back to as return_to (the gate, GET /gate/{event_id}); any other return_to is ignored',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMaxSize(10)
  @IsGateOrigin({ each: true })
  gate_origins?: string[] | null;

  @ApiPropertyOptional({
    default: false,
    description:
      'while nobody of the event is queued and its capacity and rate allow, a join is admitted at once ' +
      '(201 with status ready, expires_at and admission_token); a surge queues as usual',
  })
  @IsOptional()
  @IsBoolean()
  passthrough_when_free?: boolean;

  @ApiPropertyOptional({
    default: 1,
    minimum: 1,
    maximum: MAX_SHARDS,
    description:
      "how many hash slots the event's live state is split over: on a Redis Cluster with several masters one " +
      'event then takes that many times what one Redis core takes, with every promise of the contract kept. ' +
      'Fixed once the event has had a session (409 SHARDS_FIXED)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SHARDS)
  shards?: number;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'string' },
    example: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
    description:
      "the public JWK (Ed25519 OKP or P-256 EC; 400 with a private part d) of the site that owns the event's " +
      'users: a join then needs identity_token, a JWS by that key with sub = user_id, aud = event_id and exp at ' +
      'most an hour ahead (403 IDENTITY_REQUIRED / IDENTITY_INVALID); x-api-key callers are exempt',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsPublicIdentityJwk()
  join_identity_jwk?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    type: 'string',
    example: 'Doors open at 8 pm. Thank you for waiting!',
    nullable: true,
    maxLength: EVENT_MESSAGE_MAX_LENGTH,
    description:
      'a message to everyone waiting, plain text (shown as text, never as HTML; no control characters ' +
      'but line breaks and tabs): on every open waiting page within 5 s, and as event_message in session bodies',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @MaxLength(EVENT_MESSAGE_MAX_LENGTH)
  @IsPlainText()
  message?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    example: '2026-12-01T22:00:00Z',
    nullable: true,
    format: 'date-time',
    description:
      'the event becomes closed by itself at this instant (Redis clock, within one admission tick; once: it is ' +
      'dropped when applied, so a later reopen stays open). A past instant closes it at once. RFC 3339 with Z or ±HH:MM',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsIsoInstant()
  closes_at?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    example: 'Stadium Tour 2026',
    nullable: true,
    maxLength: 100,
    description: "the waiting page's heading and the logo's alt text (plain text, shown as text)",
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @MaxLength(100)
  @IsPlainText()
  display_name?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    example: '#c2185b',
    nullable: true,
    pattern: '^#[0-9a-fA-F]{6}$',
    description:
      "the waiting page's accent colour, #rrggbb; the page darkens it as far as needed for 4.5:1 text contrast",
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @Matches(/^#[0-9a-fA-F]{6}$/, { message: 'brand_color must be a colour #rrggbb' })
  brand_color?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    example: 'https://cdn.example.com/tour/logo.png',
    nullable: true,
    maxLength: 2048,
    description:
      "an https image on the waiting page, with the display name as its alt text; the page's CSP allows " +
      'exactly its origin for images',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @MaxLength(2048)
  @IsHttpsUrl()
  logo_url?: string | null;
}

/** The body of POST /admin/events/:id/sold-out (optional: no body is no message). */
export class SoldOutDto {
  @ApiPropertyOptional({
    type: 'string',
    example: 'All tickets are sold. Thank you for waiting.',
    maxLength: EVENT_MESSAGE_MAX_LENGTH,
    description:
      "the event's new message (as PUT's `message`), shown with the sold-out notice; absent: the current one stays",
  })
  // Absent is fine, null is not: the contract's field is a string.
  @ValidateIf((_, value) => value !== undefined)
  @MaxLength(EVENT_MESSAGE_MAX_LENGTH)
  @IsPlainText()
  message?: string;
}

/** The query of GET /admin/events/:id/audit. */
export class AuditQueryDto {
  @ApiPropertyOptional({
    example: '50',
    description: 'most entries returned, newest first: an integer 1-10000 (default: all, at most 10,000)',
  })
  @IsOptional()
  @Matches(/^(?:[1-9]\d{0,3}|10000)$/, { message: 'limit must be an integer from 1 to 10000' })
  limit?: string;
}
