import type { EstimateAccuracyBody, EventConfigBody, EventStatsBody, SessionBody } from '@waitroom/contracts';
import { isoTimeOrNull } from '../common/iso-time';
import type { EstimateErrors, EventConfig, EventCounters } from './event-config';
import { DRAW_ALGORITHM, seedCommitment } from './queue-order';
import { estimatedWaitSeconds } from './estimated-wait';
import type { SessionRecord } from './session';

// JSON views of the contract (snake_case, ISO-8601 UTC times).

function isMoving(record: Pick<SessionRecord, 'eventState' | 'opensAtMs'>, nowMs = Date.now()): boolean {
  return record.eventState === 'open' && (record.opensAtMs === null || record.opensAtMs <= nowMs);
}

function joinView(
  record: SessionRecord,
): Omit<SessionBody, 'admitted_at' | 'expires_at' | 'admission_token' | 'left_reason' | 'event_message'> {
  return {
    session_id: record.sessionId,
    user_id: record.userId,
    event_id: record.eventId,
    priority: record.priority,
    status: record.status,
    position: record.position,
    queue_length: record.queueLength,
    estimated_wait_seconds: estimatedWaitSeconds(
      record.position,
      record.admissionRatePerSecond,
      isMoving(record),
    ),
    joined_at: isoTimeOrNull(record.joinedAtMs),
  };
}

export function sessionView(record: SessionRecord, admissionToken: string | null): SessionBody {
  const ready = record.status === 'ready';
  return {
    ...joinView(record),
    admitted_at: isoTimeOrNull(record.admittedAtMs),
    expires_at: ready ? isoTimeOrNull(record.expiresAtMs) : null,
    admission_token: ready ? admissionToken : null,
    left_reason: record.leftReason,
    event_message: record.eventMessage,
  };
}
export type SessionView = SessionBody;

/**
 * The body of GET /sessions/:id for a queued session, as text cut around the three numbers and
 * the event's message that change from poll to poll: what the poll fast lane sends. Rendering a body is then two string
 * concatenations instead of building and serialising the view (a visible share of a fast
 * poll's CPU). renderQueuedSession(queuedSessionTemplate(r), …) is byte for byte
 * JSON.stringify(sessionView(r, null)) for a queued record r (views.spec.ts).
 */
export interface QueuedSessionTemplate {
  head: string;
  tail: string;
}

export function queuedSessionTemplate(
  record: Pick<SessionRecord, 'sessionId' | 'userId' | 'eventId' | 'priority' | 'joinedAtMs'>,
): QueuedSessionTemplate {
  const head =
    `{"session_id":${JSON.stringify(record.sessionId)},"user_id":${JSON.stringify(record.userId)},` +
    `"event_id":${JSON.stringify(record.eventId)},"priority":${record.priority},"status":"queued","position":`;
  const tail =
    `,"joined_at":${JSON.stringify(isoTimeOrNull(record.joinedAtMs))},` +
    `"admitted_at":null,"expires_at":null,"admission_token":null,"left_reason":null,"event_message":`;
  return { head, tail };
}

export function renderQueuedSession(
  template: QueuedSessionTemplate,
  record: Pick<
    SessionRecord,
    'position' | 'queueLength' | 'admissionRatePerSecond' | 'eventState' | 'opensAtMs' | 'eventMessage'
  >,
): string {
  const wait = estimatedWaitSeconds(record.position, record.admissionRatePerSecond, isMoving(record));
  const message = record.eventMessage === null ? 'null' : messageJson(record.eventMessage);
  return `${template.head}${record.position},"queue_length":${record.queueLength},"estimated_wait_seconds":${wait}${template.tail}${message}}`;
}

/** The last message encoded: every poll of an event shows the same one, so it is encoded once. */
let lastMessage = { text: '', json: '""' };
function messageJson(text: string): string {
  if (lastMessage.text !== text) lastMessage = { text, json: JSON.stringify(text) };
  return lastMessage.json;
}

export function eventConfigView(config: EventConfig): EventConfigBody {
  return {
    event_id: config.eventId,
    capacity: config.capacity,
    admission_rate_per_minute: config.admissionRatePerMinute,
    checkout_timeout_seconds: config.checkoutTimeoutSeconds,
    state: config.state,
    opens_at: isoTimeOrNull(config.opensAtMs),
    shuffle_at_open: config.shuffleAtOpen,
    idle_timeout_seconds: config.idleTimeoutSeconds,
    checkout_url: config.checkoutUrl,
    bot_check: config.botCheck,
    bot_check_max_number: config.botCheckMaxNumber,
    gate_origins: config.gateOrigins,
    passthrough_when_free: config.passthroughWhenFree,
    shards: config.shards,
    join_identity_jwk: config.joinIdentityJwk,
    message: config.message,
    closes_at: isoTimeOrNull(config.closesAtMs),
    display_name: config.displayName,
    brand_color: config.brandColor,
    logo_url: config.logoUrl,
    created_at: isoTimeOrNull(config.createdAtMs),
    updated_at: isoTimeOrNull(config.updatedAtMs),
  };
}

export function eventStatsView(config: EventConfig, counters: EventCounters): EventStatsBody {
  return {
    event_id: config.eventId,
    state: config.state,
    capacity: config.capacity,
    queue_length: counters.queueLength,
    active_count: counters.activeCount,
    admitted_total: counters.admittedTotal,
    completed_total: counters.completedTotal,
    failed_total: counters.failedTotal,
    expired_total: counters.expiredTotal,
    left_total: counters.leftTotal,
    admission_rate_per_minute: config.admissionRatePerMinute,
    joined_total: counters.joinedTotal,
    abandoned_total: counters.abandonedTotal,
    observed_admissions_per_minute:
      counters.admissionRatePerSecond === null
        ? null
        : Math.round(counters.admissionRatePerSecond * 60 * 10) / 10,
  };
}

/** GET /admin/events/:id (and each event of the list): the settings, the figures, the estimates' accuracy. */
export function eventDetailsView(event: {
  config: EventConfig;
  counters: EventCounters;
  estimateErrors: EstimateErrors;
}) {
  return {
    ...eventConfigView(event.config),
    stats: eventStatsView(event.config, event.counters),
    estimate_accuracy: estimateAccuracyView(event.estimateErrors),
  };
}

/** The admin details' estimate_accuracy: the bands of estimateErrorsFromHash, cumulative. */
export function estimateAccuracyView(errors: EstimateErrors): EstimateAccuracyBody {
  const within10 = errors.within10;
  const within25 = within10 + errors.within25;
  const within50 = within25 + errors.within50;
  const within100 = within50 + errors.within100;
  return {
    admitted_with_estimate: within100 + errors.beyond100,
    within_10_percent: within10,
    within_25_percent: within25,
    within_50_percent: within50,
    within_100_percent: within100,
  };
}

/**
 * GET /events/:id/draw: the commitment always, the seed and the algorithm only once revealed.
 * The seed never changes once anybody has joined (upsert-event-3.lua), so the commitment
 * published before opening is the one the revealed seed matches.
 */
export function drawView(eventId: string, opensAtMs: number | null, seed: string, revealed: boolean) {
  return {
    event_id: eventId,
    opens_at: isoTimeOrNull(opensAtMs),
    seed_commitment: seedCommitment(seed),
    ...(revealed ? { seed, algorithm: DRAW_ALGORITHM } : {}),
  };
}
export type DrawView = ReturnType<typeof drawView>;
