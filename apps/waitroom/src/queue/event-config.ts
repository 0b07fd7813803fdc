import { isoInstantToEpochMs } from '../common/iso-instant';
import type { EventState } from './session';

export const BOT_CHECKS = ['off', 'proof_of_work'] as const;
export type BotCheck = (typeof BOT_CHECKS)[number];
/**
 * Default difficulty: SHA-256 hashes of a solve, at most (a solve takes 3/4 of it on average);
 * chosen so a phone spends about a second on it (README, "Bot check", has the measurements).
 */
export const DEFAULT_BOT_CHECK_MAX_NUMBER = 40_000;

/** A site's public key for identity tokens, as stored: Ed25519 (`OKP`) or P-256 (`EC`), never a private part. */
export type PublicIdentityJwk =
  | { kty: 'OKP'; crv: 'Ed25519'; x: string; kid?: string; alg?: 'EdDSA' }
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid?: string; alg?: 'ES256' };

/** An event's operator configuration, as stored. */
export interface EventConfig {
  eventId: string;
  capacity: number;
  admissionRatePerMinute: number | null;
  checkoutTimeoutSeconds: number;
  state: EventState;
  opensAtMs: number | null;
  shuffleAtOpen: boolean;
  idleTimeoutSeconds: number | null;
  /** Where the waiting page sends an admitted person (with waitroom_token); null: show the token. */
  checkoutUrl: string | null;
  /** Whether a join needs a solved proof-of-work challenge (bot-check.service.ts). */
  botCheck: BotCheck;
  /** The challenges' difficulty: the hash count a solver needs is drawn from [max/2, max]. */
  botCheckMaxNumber: number;
  /** Origins (besides checkout_url's) the waiting page may send an admitted person back to as return_to. */
  gateOrigins: string[];
  /** Admit a join at once while nobody is queued and capacity and rate allow (join-12.lua). */
  passthroughWhenFree: boolean;
  /** The public JWK that signs the event's identity tokens (gate/identity-tokens.ts), or null. */
  joinIdentityJwk: PublicIdentityJwk | null;
  /**
   * How many hash slots the event's live state is split over (1: one, as every event before
   * shards). Fixed once anybody joined (docs/decisions/0023-sharded-events.md).
   */
  shards: number;
  /** The operator's message to everyone waiting (plain text, shown as text), or null. */
  message: string | null;
  /** When the event closes by itself (Redis's clock, once: dropped when applied), or null. */
  closesAtMs: number | null;
  /** Branding of the waiting page: its heading, accent colour (`#rrggbb`) and logo (https). */
  displayName: string | null;
  brandColor: string | null;
  logoUrl: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** The running totals an event keeps, each a `<name>_total` field of its stats hash. */
export const EVENT_TOTALS = [
  'joined',
  'admitted',
  'completed',
  'failed',
  'expired',
  'left',
  'abandoned',
] as const;
export type EventTotal = (typeof EVENT_TOTALS)[number];

/** An event's live counts and running totals at one instant. */
export type EventCounts = { queueLength: number; activeCount: number } & Record<`${EventTotal}Total`, number>;

/** The counts with the admission rate the admission step observes (people per second, null until measured). */
export interface EventCounters extends EventCounts {
  admissionRatePerSecond: number | null;
}

/** The totals of a stats hash as read from Redis (absent fields are zero). */
export function totalsFromHash(hash: Record<string, string>): Record<`${EventTotal}Total`, number> {
  const totals = {} as Record<`${EventTotal}Total`, number>;
  for (const total of EVENT_TOTALS) totals[`${total}Total`] = Number(hash[`${total}_total`] ?? 0);
  return totals;
}

/**
 * How far off the waits people were told at join were, counted at their admission by
 * admission-tick-9.lua: how many were off by at most 10%, 25%, 50% and 100% of the wait they had
 * (each band's count alone), and by more.
 */
export interface EstimateErrors {
  within10: number;
  within25: number;
  within50: number;
  within100: number;
  beyond100: number;
}

export function estimateErrorsFromHash(hash: Record<string, string>): EstimateErrors {
  const count = (field: string) => Number(hash[field] ?? 0);
  return {
    within10: count('eta_10'),
    within25: count('eta_25'),
    within50: count('eta_50'),
    within100: count('eta_100'),
    beyond100: count('eta_more'),
  };
}

/** Field names of the config hash (short: they repeat in every event's hash). */
export function configToHashFields(
  config: Omit<EventConfig, 'eventId' | 'createdAtMs' | 'updatedAtMs'>,
): string[] {
  return [
    'state', config.state,
    'capacity', String(config.capacity),
    'rate', config.admissionRatePerMinute === null ? '' : String(config.admissionRatePerMinute),
    'timeout', String(config.checkoutTimeoutSeconds),
    'opens_at', config.opensAtMs === null ? '' : String(config.opensAtMs),
    'shuffle', config.shuffleAtOpen ? '1' : '',
    'idle', config.idleTimeoutSeconds === null ? '' : String(config.idleTimeoutSeconds),
    'checkout_url', config.checkoutUrl ?? '',
    'bot_check', config.botCheck === 'proof_of_work' ? 'pow' : '',
    'bot_max', String(config.botCheckMaxNumber),
    'gate_origins', config.gateOrigins.join(' '),
    'passthrough', config.passthroughWhenFree ? '1' : '',
    'identity_jwk', config.joinIdentityJwk ? JSON.stringify(config.joinIdentityJwk) : '',
    'msg', config.message ?? '',
    'closes_at', config.closesAtMs === null ? '' : String(config.closesAtMs),
    'display_name', config.displayName ?? '',
    'brand_color', config.brandColor ?? '',
    'logo_url', config.logoUrl ?? '',
    'shards', config.shards > 1 ? String(config.shards) : '',
  ]; // prettier-ignore
}

export function configFromHash(eventId: string, hash: Record<string, string>): EventConfig {
  const optionalNumber = (value: string | undefined) =>
    value === undefined || value === '' ? null : Number(value);
  return {
    eventId,
    capacity: Number(hash.capacity),
    admissionRatePerMinute: optionalNumber(hash.rate),
    checkoutTimeoutSeconds: Number(hash.timeout),
    state: hash.state as EventState,
    opensAtMs: optionalNumber(hash.opens_at),
    shuffleAtOpen: hash.shuffle === '1',
    idleTimeoutSeconds: optionalNumber(hash.idle),
    checkoutUrl: hash.checkout_url ? hash.checkout_url : null,
    botCheck: hash.bot_check === 'pow' ? 'proof_of_work' : 'off',
    botCheckMaxNumber: optionalNumber(hash.bot_max) ?? DEFAULT_BOT_CHECK_MAX_NUMBER,
    gateOrigins: hash.gate_origins ? hash.gate_origins.split(' ') : [],
    passthroughWhenFree: hash.passthrough === '1',
    joinIdentityJwk: hash.identity_jwk ? (JSON.parse(hash.identity_jwk) as PublicIdentityJwk) : null,
    message: hash.msg ? hash.msg : null,
    closesAtMs: optionalNumber(hash.closes_at),
    displayName: hash.display_name ? hash.display_name : null,
    brandColor: hash.brand_color ? hash.brand_color : null,
    logoUrl: hash.logo_url ? hash.logo_url : null,
    shards: optionalNumber(hash.shards) ?? 1,
    createdAtMs: Number(hash.created_at),
    updatedAtMs: Number(hash.updated_at),
  };
}

const DEFAULT_CHECKOUT_TIMEOUT_SECONDS = 600;

/** The body of PUT /admin/events/:id (the contract's names), as validated by the HTTP layer. */
export interface EventSettingsRequest {
  capacity: number;
  admission_rate_per_minute?: number | null;
  checkout_timeout_seconds?: number;
  state?: EventState;
  opens_at?: string | null;
  shuffle_at_open?: boolean;
  idle_timeout_seconds?: number | null;
  checkout_url?: string | null;
  bot_check?: BotCheck;
  bot_check_max_number?: number;
  gate_origins?: string[] | null;
  passthrough_when_free?: boolean;
  join_identity_jwk?: Record<string, unknown> | null;
  message?: string | null;
  closes_at?: string | null;
  display_name?: string | null;
  brand_color?: string | null;
  logo_url?: string | null;
  shards?: number;
}

/** The settings a PUT stores: what it names, and the default of every optional field it leaves out. */
export function settingsFromRequest(
  request: EventSettingsRequest,
): Omit<EventConfig, 'eventId' | 'createdAtMs' | 'updatedAtMs'> {
  return {
    capacity: request.capacity,
    admissionRatePerMinute: request.admission_rate_per_minute ?? null,
    checkoutTimeoutSeconds: request.checkout_timeout_seconds ?? DEFAULT_CHECKOUT_TIMEOUT_SECONDS,
    state: request.state ?? 'open',
    opensAtMs: request.opens_at ? isoInstantToEpochMs(request.opens_at, 'opens_at') : null,
    shuffleAtOpen: request.shuffle_at_open ?? false,
    idleTimeoutSeconds: request.idle_timeout_seconds ?? null,
    checkoutUrl: request.checkout_url ?? null,
    botCheck: request.bot_check ?? 'off',
    botCheckMaxNumber: request.bot_check_max_number ?? DEFAULT_BOT_CHECK_MAX_NUMBER,
    // An empty message is no message.
    message: request.message ? request.message : null,
    closesAtMs: request.closes_at ? isoInstantToEpochMs(request.closes_at, 'closes_at') : null,
    displayName: request.display_name ? request.display_name : null,
    // One spelling, so an unchanged colour is no change in the audit log.
    brandColor: request.brand_color ? request.brand_color.toLowerCase() : null,
    logoUrl: request.logo_url ? request.logo_url : null,
    gateOrigins: [...new Set(request.gate_origins ?? [])],
    passthroughWhenFree: request.passthrough_when_free ?? false,
    shards: request.shards ?? 1,
    joinIdentityJwk: request.join_identity_jwk ? publicIdentityJwk(request.join_identity_jwk) : null,
  };
}

/**
 * The members of a validated public JWK (http/validation.ts IsPublicIdentityJwk) that are kept:
 * the key itself, its kid and alg; nothing else of what a site may have put in.
 */
export function publicIdentityJwk(jwk: Record<string, unknown>): PublicIdentityJwk {
  const kid = typeof jwk.kid === 'string' ? { kid: jwk.kid } : {};
  if (jwk.kty === 'OKP')
    return { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x), ...kid, ...(jwk.alg ? { alg: 'EdDSA' } : {}) };
  return {
    kty: 'EC',
    crv: 'P-256',
    x: String(jwk.x),
    y: String(jwk.y),
    ...kid,
    ...(jwk.alg ? { alg: 'ES256' } : {}),
  };
}
