import { Injectable } from '@nestjs/common';
import { BotCheckError } from '../bot-check/bot-check-errors';
import { BotCheckService } from '../bot-check/bot-check.service';
import type { JoinProof } from '../bot-check/join-proof';
import { IdentityError } from '../identity/identity-errors';
import { IdentityKeys } from '../identity/identity-keys';
import { ActiveEvents } from '../registry/active-events';
import { AdmissionTokenService } from '../tokens/admission-token.service';
import { eventNotFound, QueueError, sessionNotFound } from './queue-errors';
import { QueueRepository, type CheckoutOutcome } from './queue.repository';
import type { JoinIdentity } from './queue.scripts';
import type { SessionRecord } from './session';
import { SessionChanges } from './session-changes';
import { parseSessionId, shardOfMember } from './session-id';
import { shardScope } from '../redis/redis-keys';
import { queuedSessionTemplate, renderQueuedSession, sessionView, type SessionView } from './views';

/**
 * A person's way through the queue: join, leave, and checkout's verdict once admitted. HTTP
 * controllers and Kafka handlers are thin adapters over these methods; the rules themselves run
 * atomically in Redis (see QueueRepository). Reading a session is live/'s (session-polls.service.ts).
 */
@Injectable()
export class QueueService {
  constructor(
    private readonly repository: QueueRepository,
    private readonly activeEvents: ActiveEvents,
    private readonly tokens: AdmissionTokenService,
    private readonly botCheck: BotCheckService,
    private readonly changes: SessionChanges,
    private readonly identities: IdentityKeys,
  ) {}

  async join(input: {
    userId: string;
    eventId: string;
    priority: number;
    trusted: boolean;
    clientAddress: string;
    /** The bot check's proof of work (the ALTCHA payload), when the caller sent one. */
    altcha?: string;
    /** The site's identity token for user_id (join_identity_jwk), when the caller sent one. */
    identityToken?: string;
  }) {
    if (input.priority > 0 && !input.trusted) {
      throw new QueueError('PRIORITY_NOT_ALLOWED', 'priority above 0 needs a trusted caller (x-api-key)');
    }
    // Checked whatever the event's bot_check (it costs microseconds): the join script reads the
    // setting, and decides whether the proof matters and whether it was used before.
    const proof: JoinProof = input.trusted
      ? { kind: 'exempt' }
      : input.altcha === undefined
        ? { kind: 'none' }
        : this.botCheck.verify(input.eventId, input.altcha);
    const identityInput = {
      eventId: input.eventId,
      userId: input.userId,
      token: input.identityToken,
      trusted: input.trusted,
    };
    const join = (identity: JoinIdentity) =>
      // A trusted caller (a gateway joining on behalf of many people) is not limited per address.
      this.repository.join(
        input.eventId,
        input.userId,
        input.priority,
        input.trusted ? null : input.clientAddress,
        proof,
        identity,
      );
    const identity = await this.identities.verdict(identityInput);
    let reply = await join(identity);
    // The key this instance knew (or its having none) is not the event's any more: set or
    // changed within the last second. Once more with the key read now.
    if (
      (identity.kind === 'none' && input.identityToken !== undefined && reply.code === 'IDENTITY_REQUIRED') ||
      (identity.kind === 'valid' && reply.code === 'IDENTITY_INVALID')
    )
      reply = await join(await this.identities.verdict(identityInput, true));
    switch (reply.code) {
      case 'CREATED':
      case 'EXISTING':
        // An unsharded event's session (no score of its own) is in the event's own keys: marked
        // without parsing its id on every join.
        if (reply.code === 'CREATED') {
          if (reply.session.score === null) this.activeEvents.touchSoon(input.eventId);
          else this.touchSession(reply.session.sessionId);
        }
        return { created: reply.code === 'CREATED', session: reply.session };
      case 'RATE_LIMITED':
        throw new QueueError(
          'RATE_LIMITED',
          'too many joins from this address, retry later',
          [],
          Math.max(1, Math.ceil(reply.retryAfterMs / 1000)),
        );
      case 'EVENT_NOT_FOUND':
        throw eventNotFound(input.eventId);
      case 'EVENT_CLOSED':
        throw new QueueError('EVENT_CLOSED', `event ${input.eventId} is closed to new joins`);
      case 'OUTBOX_FULL':
        throw new QueueError('OUTBOX_FULL', 'event publishing is backed up, retry shortly', [], 5);
      case 'IDENTITY_REQUIRED':
        throw new IdentityError(
          'IDENTITY_REQUIRED',
          `event ${input.eventId} admits only people its site vouches for: send identity_token, signed by the site for this user_id and event`,
        );
      case 'IDENTITY_INVALID':
        throw new IdentityError(
          'IDENTITY_INVALID',
          'the identity_token is not valid for this user_id and event (wrong key, user or event, expired, or expiring more than an hour ahead)',
        );
      case 'PROOF_REQUIRED':
        throw new BotCheckError(
          'PROOF_REQUIRED',
          `event ${input.eventId} asks for a proof of work: solve GET /api/v1/waitroom/events/${input.eventId}/challenge and send it as altcha`,
        );
      case 'PROOF_INVALID':
        throw new BotCheckError(
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

  async leave(sessionId: string): Promise<{ session_id: string; status: string }> {
    const ref = parseSessionId(sessionId);
    const reply = ref && (await this.repository.leave(ref));
    if (!reply || reply.code === 'NOT_FOUND') throw sessionNotFound();
    if (reply.code === 'CHANGED') {
      this.touchSession(sessionId);
      this.changes.changed(ref);
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
    this.touchSession(sessionId);
    return 'applied';
  }

  /**
   * Marks the event of a session as having work. A sharded event's session marks its shard
   * alone: the relay visits that shard's outbox, and the admission scheduler steps the event of
   * any shard it is told of (admission.scheduler.ts), so shard 0's empty outbox is not visited
   * for every join of the other shards.
   */
  private touchSession(sessionId: string): void {
    const ref = parseSessionId(sessionId);
    if (ref) this.activeEvents.touchSoon(shardScope(ref.eventId, shardOfMember(ref.member)));
  }

  /**
   * The session body as JSON text: a queued one cut from its template (what the poll fast lane
   * sends, byte for byte JSON.stringify of view(): views.spec.ts), the rest from view().
   */
  sessionJson(session: SessionRecord): string {
    return session.status === 'queued'
      ? renderQueuedSession(queuedSessionTemplate(session), session)
      : JSON.stringify(this.view(session));
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
