import { Injectable } from '@nestjs/common';
import { DomainError, eventNotFound, sessionNotFound } from '../common/domain-errors';
import { isoInstantToEpochMs } from '../common/iso-instant';
import { ActiveEvents } from '../redis/active-events';
import { EventRegistry } from '../redis/event-registry';
import { AdmissionTokenService } from '../tokens/admission-token.service';
import { BotCheckService } from './bot-check.service';
import type { UpsertEventDto } from './dto/event-config.dto';
import { DEFAULT_BOT_CHECK_MAX_NUMBER } from './event-config';
import { parseSessionId } from './session-id';
import { SessionPollService } from './session-polls.service';
import type { SessionRecord } from './session';
import {
  drawView,
  eventConfigView,
  eventStatsView,
  sessionView,
  type DrawView,
  type SessionView,
} from './views';
import { WaitroomRepository, type CheckoutOutcome } from './waitroom.repository';
import type { JoinProof } from './waitroom.scripts';

const DEFAULT_CHECKOUT_TIMEOUT_SECONDS = 600;

/**
 * The waiting room's use cases. HTTP controllers and Kafka handlers are thin adapters over
 * these methods; the rules themselves run atomically in Redis (see WaitroomRepository).
 */
@Injectable()
export class WaitroomService {
  constructor(
    private readonly repository: WaitroomRepository,
    private readonly registry: EventRegistry,
    private readonly activeEvents: ActiveEvents,
    private readonly tokens: AdmissionTokenService,
    private readonly botCheck: BotCheckService,
    private readonly polls: SessionPollService,
  ) {}

  async join(input: {
    userId: string;
    eventId: string;
    priority: number;
    trusted: boolean;
    clientAddress: string;
    /** The bot check's proof of work (the ALTCHA payload), when the caller sent one. */
    altcha?: string;
  }) {
    if (input.priority > 0 && !input.trusted) {
      throw new DomainError('PRIORITY_NOT_ALLOWED', 'priority above 0 needs a trusted caller (x-api-key)');
    }
    // Checked whatever the event's bot_check (it costs microseconds): the join script reads the
    // setting, and decides whether the proof matters and whether it was used before.
    const proof: JoinProof = input.trusted
      ? { kind: 'exempt' }
      : input.altcha === undefined
        ? { kind: 'none' }
        : this.botCheck.verify(input.eventId, input.altcha);
    // A trusted caller (a gateway joining on behalf of many people) is not limited per address.
    const reply = await this.repository.join(
      input.eventId,
      input.userId,
      input.priority,
      input.trusted ? null : input.clientAddress,
      proof,
    );
    switch (reply.code) {
      case 'CREATED':
      case 'EXISTING':
        if (reply.code === 'CREATED') this.activeEvents.touchSoon(input.eventId);
        return { created: reply.code === 'CREATED', view: this.view(reply.session) };
      case 'RATE_LIMITED':
        throw new DomainError(
          'RATE_LIMITED',
          'too many joins from this address, retry later',
          [],
          Math.max(1, Math.ceil(reply.retryAfterMs / 1000)),
        );
      case 'EVENT_NOT_FOUND':
        throw eventNotFound(input.eventId);
      case 'EVENT_CLOSED':
        throw new DomainError('EVENT_CLOSED', `event ${input.eventId} is closed to new joins`);
      case 'OUTBOX_FULL':
        throw new DomainError('OUTBOX_FULL', 'event publishing is backed up, retry shortly', [], 5);
      case 'PROOF_REQUIRED':
        throw new DomainError(
          'PROOF_REQUIRED',
          `event ${input.eventId} asks for a proof of work: solve GET /api/v1/waitroom/events/${input.eventId}/challenge and send it as altcha`,
        );
      case 'PROOF_INVALID':
        throw new DomainError(
          'PROOF_INVALID',
          'the proof of work is not valid (wrongly signed, expired, for another event or already used): solve a fresh challenge',
        );
    }
  }

  /** GET /events/:id/challenge: a fresh proof-of-work challenge, for events with the bot check on. */
  async challenge(eventId: string) {
    const event = await this.repository.getEvent(eventId);
    if (!event || event.config.botCheck !== 'proof_of_work') throw eventNotFound(eventId);
    return this.botCheck.createChallenge(eventId, event.config.botCheckMaxNumber);
  }

  /**
   * GET /sessions/:id. A queued session's poll is answered from this instance's snapshot of the
   * event and the id's ticket, without reading the session (session-polls.service.ts); the
   * session is read only when its status may have changed, or when the id has no valid ticket.
   */
  async getSession(sessionId: string): Promise<SessionView> {
    const ref = parseSessionId(sessionId);
    if (!ref) throw sessionNotFound();
    const answer = await this.polls.answer(ref);
    if (answer.kind === 'answered') return this.view(answer.session);
    let session: SessionRecord | null;
    if (answer.learn) {
      const read = await this.repository.streamSession(ref);
      if (read) this.polls.learn(ref, read);
      session = read?.session ?? null;
    } else {
      session = await this.repository.getSession(ref);
    }
    if (!session) throw sessionNotFound();
    return this.view(session);
  }

  async leave(sessionId: string): Promise<{ session_id: string; status: string }> {
    const ref = parseSessionId(sessionId);
    const reply = ref && (await this.repository.leave(ref));
    if (!reply || reply.code === 'NOT_FOUND') throw sessionNotFound();
    if (reply.code === 'CHANGED') {
      this.activeEvents.touchSoon(ref.eventId);
      this.polls.changed(ref);
    }
    return { session_id: sessionId, status: reply.status };
  }

  /** Checkout's verdict on an admitted session. Unknown or not-ready sessions are left alone. */
  async finishCheckout(
    sessionId: string,
    outcome: CheckoutOutcome,
  ): Promise<'applied' | 'unchanged' | 'not_found'> {
    const ref = parseSessionId(sessionId);
    if (!ref) return 'not_found';
    const reply = await this.repository.finishCheckout(ref, outcome);
    if (reply.code === 'NOT_FOUND') return 'not_found';
    if (reply.code === 'UNCHANGED') return 'unchanged';
    // An expiry appends QUEUE_LEFT to the outbox: the relay must visit the event.
    this.activeEvents.touchSoon(ref.eventId);
    return 'applied';
  }

  async upsertEvent(eventId: string, dto: UpsertEventDto) {
    // Registry first: if the config write then fails, every reader skips an id with no config.
    await this.registry.add(eventId);
    const written = await this.repository.upsertEvent(eventId, {
      capacity: dto.capacity,
      admissionRatePerMinute: dto.admission_rate_per_minute ?? null,
      checkoutTimeoutSeconds: dto.checkout_timeout_seconds ?? DEFAULT_CHECKOUT_TIMEOUT_SECONDS,
      state: dto.state ?? 'open',
      opensAtMs: dto.opens_at ? isoInstantToEpochMs(dto.opens_at, 'opens_at') : null,
      shuffleAtOpen: dto.shuffle_at_open ?? false,
      idleTimeoutSeconds: dto.idle_timeout_seconds ?? null,
      checkoutUrl: dto.checkout_url ?? null,
      botCheck: dto.bot_check ?? 'off',
      botCheckMaxNumber: dto.bot_check_max_number ?? DEFAULT_BOT_CHECK_MAX_NUMBER,
    });
    if ('drawFixed' in written) throw new DomainError('DRAW_FIXED', written.drawFixed);
    const { created, config } = written;
    // A state change (paused -> open) can give queued people somewhere to go.
    await this.activeEvents.touch(eventId, true);
    return { created, view: eventConfigView(config) };
  }

  /**
   * Removes a closed event: its queued and ready sessions end as `left` (QUEUE_LEFT, reason
   * `removed`), its state goes, and it leaves the registry. The event stays marked active until
   * the relay has published those messages; then it costs nothing anywhere.
   */
  async removeEvent(eventId: string): Promise<{ event_id: string; removed: true; ended_sessions: number }> {
    const reply = await this.repository.removeEvent(eventId);
    if (reply.code === 'NOT_FOUND') throw eventNotFound(eventId);
    if (reply.code === 'NOT_CLOSED') {
      throw new DomainError(
        'EVENT_NOT_CLOSED',
        `event ${eventId} is ${reply.state}: close it (PUT state "closed") before removing it`,
      );
    }
    await this.activeEvents.touch(eventId, true);
    await this.registry.remove(eventId);
    return { event_id: eventId, removed: true, ended_sessions: reply.ended };
  }

  /**
   * GET /events/:id/draw: the commitment to the seed that orders the pre-queue, and from
   * opens_at on the seed itself and the algorithm, so anyone can recompute the order.
   */
  async draw(eventId: string): Promise<DrawView> {
    const reply = await this.repository.draw(eventId);
    if (reply.code !== 'DRAW') throw eventNotFound(eventId);
    return drawView(eventId, reply.opensAtMs, reply.seed, reply.revealed);
  }

  async eventStats(eventId: string) {
    const event = await this.repository.getEvent(eventId);
    if (!event) throw eventNotFound(eventId);
    return eventStatsView(event.config, event.counters);
  }

  async eventDetails(eventId: string) {
    const event = await this.repository.getEvent(eventId);
    if (!event) throw eventNotFound(eventId);
    return { ...eventConfigView(event.config), stats: eventStatsView(event.config, event.counters) };
  }

  async listEvents() {
    const ids = await this.registry.ids();
    const events = await Promise.all(ids.map((id) => this.repository.getEvent(id)));
    return {
      events: events
        .filter((event) => event !== null)
        .map((event) => ({
          ...eventConfigView(event.config),
          stats: eventStatsView(event.config, event.counters),
        })),
    };
  }

  /** The contract's session body (with a fresh token while ready) for a record read elsewhere. */
  view(session: SessionRecord): SessionView {
    const token =
      session.status === 'ready' && session.admittedAtMs !== null && session.expiresAtMs !== null
        ? this.tokens.sign({
            sessionId: session.sessionId,
            eventId: session.eventId,
            userId: session.userId,
            admittedAtMs: session.admittedAtMs,
            expiresAtMs: session.expiresAtMs,
          })
        : null;
    return sessionView(session, token);
  }
}
