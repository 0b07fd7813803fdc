import { Injectable } from '@nestjs/common';
import { ActiveEvents } from '../registry/active-events';
import { EventRegistry } from '../registry/event-registry';
import { InvalidInputError } from '../common/domain-error';
import { importIdentityKey } from '../identity/identity-tokens';
import { ScheduledCloses } from '../registry/scheduled-closes';
import { auditEntryView, type AuditEntryView } from './audit';
import { settingsFromRequest, type EventSettingsRequest } from './event-config';
import { eventNotFound, QueueError } from './queue-errors';
import { QueueRepository } from './queue.repository';
import { drawView, eventConfigView, eventDetailsView, eventStatsView, type DrawView } from './views';

/**
 * An event (a sale) as operators and pages see it: its settings, its figures and its pre-queue
 * draw. The admin controller, the pages and the dashboard are thin adapters over these methods.
 */
@Injectable()
export class EventService {
  constructor(
    private readonly repository: QueueRepository,
    private readonly registry: EventRegistry,
    private readonly activeEvents: ActiveEvents,
    private readonly scheduledCloses: ScheduledCloses,
  ) {}

  /**
   * PUT /admin/events/:id: a full replacement of the event's settings (a field left out returns
   * to its default). `actor` is the admin key's name, for the audit log.
   */
  async upsertEvent(eventId: string, request: EventSettingsRequest, actor: string) {
    const settings = settingsFromRequest(request);
    // The DTO checked the JWK's shape; whether it is a point of its curve shows on import.
    if (settings.joinIdentityJwk) {
      await importIdentityKey(settings.joinIdentityJwk).catch(() => {
        throw new InvalidInputError(['join_identity_jwk is not a usable public key of its curve']);
      });
    }
    // Registry first: if the config write then fails, every reader skips an id with no config.
    await this.registry.add(eventId);
    // The index of scheduled closes before the config, for the same reason.
    await this.scheduledCloses.schedule(eventId, settings.closesAtMs);
    const written = await this.repository.upsertEvent(eventId, settings, actor);
    if ('fixed' in written) throw new QueueError(written.fixed, written.reason);
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
  async removeEvent(
    eventId: string,
    actor: string,
  ): Promise<{ event_id: string; removed: true; ended_sessions: number }> {
    const reply = await this.repository.removeEvent(eventId, actor);
    if (reply.code === 'NOT_FOUND') throw eventNotFound(eventId);
    if (reply.code === 'NOT_CLOSED') {
      throw new QueueError(
        'EVENT_NOT_CLOSED',
        `event ${eventId} is ${reply.state}: close it (PUT state "closed") before removing it`,
      );
    }
    await this.activeEvents.touch(eventId, true);
    await this.registry.remove(eventId);
    return { event_id: eventId, removed: true, ended_sessions: reply.ended };
  }

  /**
   * POST /admin/events/:id/sold-out: the event closes and every queued session ends as `left`
   * (left_reason and QUEUE_LEFT reason `sold_out`), in bounded atomic slices; ready sessions keep
   * their checkout window. `message` (when given) becomes the event's message, which the pages
   * show with the notice. Repeating it ends nobody twice.
   */
  async soldOut(
    eventId: string,
    actor: string,
    message?: string,
  ): Promise<{ event_id: string; state: 'closed'; ended_sessions: number }> {
    const reply = await this.repository.soldOut(
      eventId,
      actor,
      message === undefined ? undefined : message || null,
    );
    if (reply.code === 'NOT_FOUND') throw eventNotFound(eventId);
    // The relay must publish the QUEUE_LEFT messages.
    await this.activeEvents.touch(eventId, true);
    return { event_id: eventId, state: 'closed', ended_sessions: reply.ended };
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

  /**
   * GET /admin/events/:id/audit: the newest `limit` admin changes, newest first. A removed
   * event's log (its last entry the removal) stays readable until its retention ends.
   */
  async audit(eventId: string, limit: number): Promise<{ event_id: string; entries: AuditEntryView[] }> {
    const reply = await this.repository.auditEntries(eventId, limit);
    if (reply.code === 'NOT_FOUND') throw eventNotFound(eventId);
    return {
      event_id: eventId,
      entries: reply.entries.map(auditEntryView).filter((entry) => entry !== null),
    };
  }

  async eventStats(eventId: string) {
    const event = await this.repository.getEvent(eventId);
    if (!event) throw eventNotFound(eventId);
    return eventStatsView(event.config, event.counters);
  }

  async eventDetails(eventId: string) {
    const event = await this.repository.getEvent(eventId);
    if (!event) throw eventNotFound(eventId);
    return eventDetailsView(event);
  }

  async listEvents() {
    const ids = await this.registry.ids();
    const events = await Promise.all(ids.map((id) => this.repository.getEvent(id)));
    return {
      events: events.filter((event) => event !== null).map((event) => eventDetailsView(event)),
    };
  }
}
