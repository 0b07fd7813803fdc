import { Injectable } from '@nestjs/common';
import { DomainError, eventNotFound, sessionNotFound } from '../common/domain-errors';
import { isoInstantToEpochMs } from '../common/iso-instant';
import { EventRegistry } from '../redis/event-registry';
import { AdmissionTokenService } from '../tokens/admission-token.service';
import type { UpsertEventDto } from './dto/event-config.dto';
import { parseSessionId } from './session-id';
import type { SessionRecord } from './session';
import { eventConfigView, eventStatsView, sessionView, type SessionView } from './views';
import { WaitroomRepository, type CheckoutOutcome } from './waitroom.repository';

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
    private readonly tokens: AdmissionTokenService,
  ) {}

  async join(input: {
    userId: string;
    eventId: string;
    priority: number;
    trusted: boolean;
    clientAddress: string;
  }) {
    if (input.priority > 0 && !input.trusted) {
      throw new DomainError('PRIORITY_NOT_ALLOWED', 'priority above 0 needs a trusted caller (x-api-key)');
    }
    const { created, session } = await this.repository.join(
      input.eventId,
      input.userId,
      input.priority,
      input.clientAddress,
    );
    return { created, view: this.view(session) };
  }

  async getSession(sessionId: string): Promise<SessionView> {
    const ref = parseSessionId(sessionId);
    const session = ref && (await this.repository.getSession(ref));
    if (!session) throw sessionNotFound();
    return this.view(session);
  }

  async leave(sessionId: string): Promise<{ session_id: string; status: string }> {
    const ref = parseSessionId(sessionId);
    const result = ref && (await this.repository.leave(ref));
    if (!result) throw sessionNotFound();
    return { session_id: sessionId, status: result.status };
  }

  /** Checkout's verdict on an admitted session. Unknown or not-ready sessions are left alone. */
  async finishCheckout(
    sessionId: string,
    outcome: CheckoutOutcome,
  ): Promise<'applied' | 'unchanged' | 'not_found'> {
    const ref = parseSessionId(sessionId);
    if (!ref) return 'not_found';
    return this.repository.finishCheckout(ref, outcome);
  }

  async upsertEvent(eventId: string, dto: UpsertEventDto) {
    const { created, config } = await this.repository.upsertEvent(eventId, {
      capacity: dto.capacity,
      admissionRatePerMinute: dto.admission_rate_per_minute ?? null,
      checkoutTimeoutSeconds: dto.checkout_timeout_seconds ?? DEFAULT_CHECKOUT_TIMEOUT_SECONDS,
      state: dto.state ?? 'open',
      opensAtMs: dto.opens_at ? isoInstantToEpochMs(dto.opens_at, 'opens_at') : null,
      shuffleAtOpen: dto.shuffle_at_open ?? false,
      idleTimeoutSeconds: dto.idle_timeout_seconds ?? null,
    });
    return { created, view: eventConfigView(config) };
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

  private view(session: SessionRecord): SessionView {
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
