import { Injectable } from '@nestjs/common';
import { Environment } from '../config/environment';
import { EventSnapshots, type EventSnapshot } from './event-snapshots';
import { followPosition, positionBaseOf, type PositionBase } from './queue-flow';
import type { SessionRecord } from '../queue/session';
import { parseSessionId, shardOfMember, type SessionRef } from '../queue/session-id';
import { ShardRanks, type Elsewhere } from '../queue/shard-ranks';
import { shardScope } from '../redis/redis-keys';
import { decodeTicket, type SessionTicket } from '../queue/session-ticket';
import { queuedSessionTemplate, type QueuedSessionTemplate, type SessionView } from '../queue/views';
import type { StreamedSession } from '../queue/queue.repository';
import { QueueRepository } from '../queue/queue.repository';
import { QueueService } from '../queue/queue.service';
import { sessionNotFound } from '../queue/queue-errors';
import { SessionChanges } from '../queue/session-changes';

/**
 * Bases learnt from direct reads (a change in the person's own bucket), newest kept. Bounded,
 * so memory stays flat whatever the crowd: a person whose base was dropped takes one more read.
 */
const LEARNT_BASES_MAX = 200000;
/**
 * Session ids whose ticket passed, by the whole id (which the mac covers): a person polls every
 * few seconds with the same id, and parsing and checking it again each time was the largest
 * share of a fast poll's own CPU. Bounded like the learnt bases; an id that fell out is simply
 * verified again.
 */
const VERIFIED_TICKETS_MAX = 200000;

/** Changes remembered before the expired ones are swept out. */
const CHANGED_REMEMBERED = 10_000;

interface VerifiedTicket {
  eventId: string;
  member: string;
  /** The scope of the session's shard (shardScope): what its snapshot is kept under. */
  scope: string;
  /** The session's shard (0 for an unsharded event's). */
  shard: number;
  /** `<event_id>~<member>`: the key of the maps about the session. */
  id: string;
  /** The whole id, ticket included. */
  sessionId: string;
  ticket: SessionTicket;
  /** The fast lane's body template, made on its first use. */
  template?: QueuedSessionTemplate;
}

/** A poll the fast lane can send: the session now, and the template of its body. */
interface ImmediateAnswer {
  session: SessionRecord;
  template: QueuedSessionTemplate;
}

/** The fast path's verdict on one poll. */
type PollAnswer =
  | { kind: 'answered'; session: SessionRecord }
  /** Read the session: `learn` when it is most likely still queued (pass the read to learn()). */
  | { kind: 'read'; learn: boolean };

/**
 * Status polls of queued sessions without a Redis read per poll (docs/decisions/0014-poll-fast-path.md).
 *
 * A session id carries a signed ticket (session-ticket.ts): the person's user id, priority,
 * join time, and place and counters at joining. Each instance keeps, per event it answers polls
 * for, one progress snapshot (event-progress-6.lua: admitted total, queue length, rate, state,
 * flow buckets: event-snapshots.ts), refreshed every POLL_SNAPSHOT_MS while polls come; from the two it computes
 * the place now, exactly (queue-flow.ts). The session is read directly only when the snapshot
 * says it may have changed: nobody left ahead (admitted?), a departure or a join in its own
 * bucket (which side?), the event gone, or a change made through this instance (a leave).
 * A read of a still-queued session is remembered as a newer base, so the next polls are fast
 * again. Heartbeats are collected and written in one call per event now and then.
 */
@Injectable()
export class SessionPollService {
  /** `<event_id>~<member>` → base of a direct read newer than the ticket's, oldest first. */
  private readonly learnt = new Map<string, PositionBase>();
  private readonly verified = new Map<string, VerifiedTicket>();
  /** `<event_id>~<member>` → until when its polls read directly (changed through this instance). */
  private readonly changedHere = new Map<string, number>();
  /** Counters read by tests and benchmarks: polls answered here, polls sent to read the session. */
  readonly stats = { answered: 0, reads: 0 };

  constructor(
    private readonly repository: QueueRepository,
    private readonly queue: QueueService,
    private readonly snapshots: EventSnapshots,
    private readonly shardRanks: ShardRanks,
    changes: SessionChanges,
    private readonly env: Environment,
  ) {
    changes.subscribe((ref) => this.changed(ref));
  }

  /**
   * GET /sessions/:id. A queued session's poll is answered from this instance's snapshot of the
   * event and the id's ticket, without reading the session; the
   * session is read only when its status may have changed, or when the id has no valid ticket.
   */
  async read(sessionId: string): Promise<SessionView> {
    const ref = parseSessionId(sessionId);
    if (!ref) throw sessionNotFound();
    const answer = await this.answer(ref);
    if (answer.kind === 'answered') return this.queue.view(answer.session);
    let session: SessionRecord | null;
    if (answer.learn) {
      const read = await this.repository.streamSession(ref);
      if (read) this.learn(ref, read);
      session = read && (await this.repository.inEvent(ref, read.session));
    } else {
      session = await this.repository.getSession(ref);
    }
    if (!session) throw sessionNotFound();
    return this.queue.view(session);
  }

  /** Answers a poll from the snapshot, or says to read the session. */
  async answer(ref: SessionRef): Promise<PollAnswer> {
    const verified = ref.ticket === undefined ? null : this.verify(ref.eventId, ref.member, ref.ticket);
    let answer: PollAnswer = { kind: 'read', learn: false };
    if (verified && !this.changedRecently(verified.id)) {
      const snapshot = await this.snapshots.forPoll(verified.scope);
      const shards = snapshot.progress?.shards ?? 1;
      const elsewhere =
        shards > 1
          ? await this.shardRanks.elsewhere(
              ref.eventId,
              verified.shard,
              shards,
              verified.ticket.score,
              verified.ticket.joinedAtMs,
            )
          : null;
      answer = this.fromSnapshot(verified, snapshot, elsewhere);
    }
    if (answer.kind === 'read') this.stats.reads++;
    else this.stats.answered++;
    return answer;
  }

  /**
   * The same answer without waiting for anything: null unless this instance holds a fresh
   * snapshot and it settles the poll (then the caller takes answer(), which may read). This is
   * what the HTTP fast lane (poll-fast-lane.ts) runs before the framework sees the request, so
   * a session id seen before is looked up whole, without parsing it again.
   */
  answerNow(sessionId: string): ImmediateAnswer | null {
    let verified = this.verified.get(sessionId) ?? null;
    if (!verified) {
      const ref = parseSessionId(sessionId);
      if (ref?.ticket === undefined) return null;
      verified = this.verify(ref.eventId, ref.member, ref.ticket);
      if (!verified) return null;
    }
    if (this.changedRecently(verified.id)) return null;
    const snapshot = this.snapshots.forPollNow(verified.scope);
    if (!snapshot) return null;
    const shards = snapshot.progress?.shards ?? 1;
    let elsewhere: Elsewhere | null = null;
    if (shards > 1) {
      elsewhere = this.shardRanks.elsewhereNow(
        verified.eventId,
        verified.shard,
        shards,
        verified.ticket.score,
        verified.ticket.joinedAtMs,
      );
      if (!elsewhere) return null;
    }
    const answer = this.fromSnapshot(verified, snapshot, elsewhere);
    if (answer.kind !== 'answered') return null;
    this.stats.answered++;
    verified.template ??= queuedSessionTemplate(answer.session);
    return { session: answer.session, template: verified.template };
  }

  /** Whether a change made through this instance means its polls must read for now. */
  private changedRecently(id: string): boolean {
    const changedUntil = this.changedHere.get(id);
    if (changedUntil === undefined) return false;
    if (Date.now() < changedUntil) return true;
    this.changedHere.delete(id);
    return false;
  }

  /** decodeTicket, remembering the ids whose ticket passed (by the whole id, which the mac covers). */
  private verify(eventId: string, member: string, text: string): VerifiedTicket | null {
    const id = `${eventId}~${member}`;
    const sessionId = `${id}~${text}`;
    const known = this.verified.get(sessionId);
    if (known) return known;
    const ticket = decodeTicket(eventId, member, text);
    if (!ticket) return null;
    const shard = shardOfMember(member);
    const scope = shardScope(eventId, shard);
    const verified: VerifiedTicket = { eventId, member, scope, shard, id, sessionId, ticket };
    this.verified.set(sessionId, verified);
    if (this.verified.size > VERIFIED_TICKETS_MAX) this.verified.delete(this.verified.keys().next().value!);
    return verified;
  }

  /** `elsewhere`: for a session of a sharded event, what the other shards add (ShardRanks). */
  private fromSnapshot(
    verified: VerifiedTicket,
    snapshot: EventSnapshot,
    elsewhere: Elsewhere | null,
  ): PollAnswer {
    const { progress, flow } = snapshot;
    if (!progress || !flow) return { kind: 'read', learn: false };
    const { id, ticket } = verified;
    const base = this.learnt.get(id) ?? ticketBase(ticket);
    const position = followPosition(base, progress, flow);
    if (position === null) {
      // Everyone ahead gone: admitted (or about to be). Else a change in its own bucket.
      const mayBeAdmitted = base.position - (progress.admittedTotal - base.admittedTotal) <= 0;
      return { kind: 'read', learn: !mayBeAdmitted };
    }
    if (progress.idleTimeoutSeconds !== null) this.snapshots.beat(verified.scope, verified.member);
    const place = position + (elsewhere?.ahead ?? 0);
    return {
      kind: 'answered',
      session: {
        sessionId: verified.sessionId,
        eventId: verified.eventId,
        userId: ticket.userId,
        priority: ticket.priority,
        status: 'queued',
        joinedAtMs: ticket.joinedAtMs,
        admittedAtMs: null,
        expiresAtMs: null,
        position: place,
        queueLength: elsewhere ? Math.max(elsewhere.queueLength, place) : progress.queueLength,
        admissionRatePerSecond: progress.admissionRatePerSecond,
        eventState: progress.state,
        opensAtMs: progress.opensAtMs,
        leftReason: null,
        eventMessage: progress.message,
        score: ticket.score,
      },
    };
  }

  /**
   * A direct read of a polled session (stream-session-6.lua): a queued one becomes the base of
   * its next polls on this instance, and its heartbeat is due like any other poll's.
   */
  learn(ref: SessionRef, read: StreamedSession): void {
    const id = `${ref.eventId}~${ref.member}`;
    this.learnt.delete(id);
    const base = positionBaseOf(read);
    if (!base) return;
    this.learnt.set(id, base);
    if (this.learnt.size > LEARNT_BASES_MAX) this.learnt.delete(this.learnt.keys().next().value!);
    if (read.idleTimeoutSeconds !== null)
      this.snapshots.beat(shardScope(ref.eventId, shardOfMember(ref.member)), ref.member);
  }

  /** A change made through this instance (a leave): its polls read directly until every snapshot shows it. */
  changed(ref: SessionRef): void {
    const id = `${ref.eventId}~${ref.member}`;
    this.learnt.delete(id);
    // One refresh interval plus the time a snapshot read can take.
    const now = Date.now();
    this.changedHere.set(id, now + 2 * this.env.POLL_SNAPSHOT_MS + this.env.REDIS_COMMAND_TIMEOUT_MS);
    // Entries whose time is up and that nobody polled since: dropped now and then, so it stays small.
    if (this.changedHere.size > CHANGED_REMEMBERED)
      for (const [other, until] of this.changedHere) if (now >= until) this.changedHere.delete(other);
  }
}

function ticketBase(ticket: SessionTicket): PositionBase {
  return {
    position: ticket.position,
    admittedTotal: ticket.admittedTotal,
    bucket: ticket.bucket,
    before: { departures: ticket.departuresBefore, joins: ticket.joinsBefore },
    at: { departures: ticket.departuresAt, joins: ticket.joinsAt },
    joinedAtMs: ticket.joinedAtMs,
  };
}
