import { Injectable } from '@nestjs/common';
import { AdmissionTokenVerifier, WaitroomGate, type AdmissionClaims } from '@waitroom/gate';
import { Environment } from '../config/environment';
import { EventSnapshots, type EventSnapshot } from '../live/event-snapshots';
import { EVENT_ID_PATTERN, parseSessionId, type SessionRef } from '../queue/session-id';
import { AdmissionTokenService } from '../tokens/admission-token.service';
import { originalTargetOf, originalUrlOf, single, type ForwardedHeaders } from './original-url';

/**
 * How far past its `exp` this service's own gate still honours a token: its tokens' `exp` comes
 * from Redis's clock, which the instances share; the ended-checkouts set covers the rest.
 */
const GATE_CLOCK_TOLERANCE_SECONDS = 5;

/** Passes remembered once verified (about 200 bytes each): the people in checkout at once, and more. */
const REMEMBERED_PASSES = 100_000;

export interface GateCheck {
  /** The original request's URL (original-url.ts); null when the proxy did not say. */
  originalUrl: URL | null;
  cookieHeader: string | undefined;
}

export type GateAnswer =
  | { pass: true; setCookie: string | null }
  /** `location`: the waiting page, with return_to when the original URL is known. */
  | { pass: false; location: string };

/**
 * The check behind GET /api/v1/waitroom/gate/:event_id (CONTRACT.md, "Gate"), made for a reverse
 * proxy on every request to a protected site: the same rules as libs/gate (a valid admission
 * token of the event, in the pass cookie or the original URL's query), verified against this
 * service's own keys, plus what only the service knows: whether the token's checkout has ended
 * (completed, failed, expired, left) and whether the token is of an earlier event of the same id.
 * Both come from the event's snapshot (live/event-snapshots.ts), kept fresh by the refresh loop
 * while checks come, so a check reads no Redis in steady state (docs/decisions/0021-gate.md).
 */
@Injectable()
export class GateService {
  private verifier?: AdmissionTokenVerifier;
  private readonly gates = new WeakMap<EventSnapshot, WaitroomGate>();

  constructor(
    private readonly snapshots: EventSnapshots,
    private readonly tokens: AdmissionTokenService,
    private readonly env: Environment,
  ) {}

  async check(eventId: string, request: GateCheck): Promise<GateAnswer> {
    const original = request.originalUrl;
    // No event of that id (malformed, never created, removed): nobody holds a pass for it. The
    // waiting page says the event is unknown; a proxy answering 401 shows it rather than a 5xx.
    if (eventId.length > 64 || !EVENT_ID_PATTERN.test(eventId))
      return { pass: false, location: waitingPageLocation(eventId, original) };
    const snapshot = await this.snapshots.forGate(eventId);
    if (!snapshot.progress) {
      // Not kept: made-up event ids must not each cost a refresh loop.
      this.snapshots.forgetUnknown(eventId);
      return { pass: false, location: waitingPageLocation(eventId, original) };
    }
    return this.decide(eventId, snapshot, request);
  }

  /**
   * The answer from the snapshot this instance holds, when it is fresh enough to answer without
   * reading (the fast lane, gate-fast-lane.ts); null otherwise: then check() (which may read).
   * A pass cookie verified before, with no token in the original URL, is answered at once
   * (WaitroomGate.checkRemembered): that is every request of a person's visit but the first.
   */
  answerNow(eventId: string, headers: ForwardedHeaders): GateAnswer | Promise<GateAnswer> | null {
    if (eventId.length > 64 || !EVENT_ID_PATTERN.test(eventId)) return null;
    const snapshot = this.snapshots.forGateNow(eventId);
    if (!snapshot) return null;
    const cookieHeader = single(headers.cookie);
    // Only the query of the original URL matters to a remembered pass: the header as sent will
    // do (a token anywhere in it takes the full check, which parses and validates the URL).
    const target = originalTargetOf(headers);
    const remembered = this.gateOf(eventId, snapshot).checkRemembered({ url: target, cookieHeader });
    if (remembered) return REMEMBERED_PASS;
    return this.decide(eventId, snapshot, { originalUrl: originalUrlOf(headers), cookieHeader });
  }

  private async decide(eventId: string, snapshot: EventSnapshot, request: GateCheck): Promise<GateAnswer> {
    const original = request.originalUrl;
    const decision = await this.gateOf(eventId, snapshot).checkRequest({
      url: original ? `${original.pathname}${original.search}` : '/',
      host: original?.host,
      protocol: original?.protocol === 'http:' ? 'http' : 'https',
      cookieHeader: request.cookieHeader,
    });
    if (decision.action === 'pass') return { pass: true, setCookie: decision.setCookie };
    return { pass: false, location: waitingPageLocation(eventId, original) };
  }

  /**
   * The event's gate, one per snapshot (which lives as long as the instance keeps the event, and
   * is updated in place): its revocation reads that snapshot.
   */
  private gateOf(eventId: string, snapshot: EventSnapshot): WaitroomGate {
    let gate = this.gates.get(snapshot);
    if (gate?.eventId !== eventId) {
      gate = new WaitroomGate({
        eventId,
        waitroomUrl: '',
        verifier: this.tokenVerifier(),
        isRevoked: (claims) => isRevoked(claims, eventId, snapshot),
      });
      this.gates.set(snapshot, gate);
    }
    return gate;
  }

  /** Built on first use: the keys exist once AdmissionTokenService has started. */
  private tokenVerifier(): AdmissionTokenVerifier {
    this.verifier ??= AdmissionTokenVerifier.local(this.tokens.publicKeySet(), {
      clockToleranceSeconds: GATE_CLOCK_TOLERANCE_SECONDS,
      issuer: this.env.ADMISSION_TOKEN_ISSUER,
      // One person's pass is checked for every request of their visit: a signature once, then a
      // lookup. The service's own keys never leave its key set while it runs.
      rememberVerified: REMEMBERED_PASSES,
    });
    return this.verifier;
  }
}

const REMEMBERED_PASS: GateAnswer = { pass: true, setCookie: null };

/** The waiting page of the event, relative (the proxy serves it on the site's origin), with return_to. */
export function waitingPageLocation(eventId: string, original: URL | null): string {
  const page = `/waitroom/${encodeURIComponent(eventId)}`;
  return original ? `${page}?return_to=${encodeURIComponent(original.href)}` : page;
}

/**
 * A verified token whose pass no longer holds: its checkout ended, it names no session of this
 * event, or it was issued before the event (of this id) was created: an earlier, removed one's.
 */
export function isRevoked(claims: AdmissionClaims, eventId: string, snapshot: EventSnapshot): boolean {
  const ref = sessionOf(claims);
  if (!ref || ref.eventId !== eventId) return true;
  if (snapshot.ended?.members.has(ref.member)) return true;
  const createdAtMs = snapshot.progress?.createdAtMs;
  // iat is in whole seconds, rounded down from the admission.
  return Boolean(createdAtMs && claims.issuedAt && claims.issuedAt.getTime() < createdAtMs - 1000);
}

/** Remembered claims come back as the same object: their session id is parsed once. */
const parsedSessions = new WeakMap<AdmissionClaims, SessionRef | null>();

function sessionOf(claims: AdmissionClaims): SessionRef | null {
  let ref = parsedSessions.get(claims);
  if (ref === undefined) {
    ref = parseSessionId(claims.sessionId);
    parsedSessions.set(claims, ref);
  }
  return ref;
}
