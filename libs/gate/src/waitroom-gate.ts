import type { JSONWebKeySet } from 'jose';
import {
  AdmissionTokenVerifier,
  type AdmissionClaims,
  type RejectReason,
  type TokenVerdict,
} from './admission-token-verifier';
import { cookieValues, PASS_COOKIE, passCookie, passCookieIsSecure, TOKEN_PARAMETER } from './pass-cookie';
import type { RemoteKeySetOptions } from './remote-key-set';

/** What the gate reads of a request: every adapter fills this from its own request object. */
export interface GateRequest {
  /** The request target as received: `/path?query` (or an absolute URL). */
  url: string;
  /** The Host header (a name or address, optionally with a port). */
  host: string | undefined;
  protocol: 'http' | 'https';
  /** The Cookie header. */
  cookieHeader: string | undefined;
}

/** Why a request was sent to the waiting page. */
export type RedirectReason = 'no_pass' | 'revoked' | Exclude<RejectReason, 'jwks_unavailable'>;

export type GateDecision =
  | {
      action: 'pass';
      claims: AdmissionClaims;
      /** The pass cookie to set (the pass came from the URL), or null (it came from the cookie). */
      setCookie: string | null;
    }
  | { action: 'redirect'; status: 302; location: string; reason: RedirectReason }
  | {
      action: 'unavailable';
      status: 503;
      retryAfterSeconds: number;
      reason: 'jwks_unavailable' | 'revocation_check_failed';
    };

export interface WaitroomGateOptions {
  /** The event whose admission opens this site (the token's `aud`). */
  eventId: string;
  /**
   * Where the waitroom is, as people's browsers reach it: `https://queue.example.com`, or ""
   * when the site proxies the waitroom's paths on its own origin (deploy/nginx does).
   */
  waitroomUrl: string;
  /**
   * Where this server fetches the keys. Default `<waitroomUrl>/.well-known/jwks.json`; required
   * when `waitroomUrl` is "" (a server has no origin of its own to resolve it against).
   */
  jwksUrl?: string;
  /** Keys the site pins instead of fetching them. */
  keys?: JSONWebKeySet;
  /** A verifier to use instead (one can serve the gates of several events). */
  verifier?: AdmissionTokenVerifier;
  /** How far past its end a pass is still honoured, for clocks that differ. Default 30. */
  clockToleranceSeconds?: number;
  /** When set, the token's `iss` must be this. */
  issuer?: string;
  /** Key set fetching: timeout, cooldown, max age (see RemoteKeySet). */
  jwks?: Omit<RemoteKeySetOptions, 'now'>;
  /**
   * Ends a pass early (an order already placed, a ban): true sends the person to the waiting
   * page as if they held no pass. A hook that throws or rejects answers 503: nobody is let
   * through on a question it could not answer.
   */
  isRevoked?: (claims: AdmissionClaims) => boolean | Promise<boolean>;
  /**
   * The site's origin as people see it (`https://shop.example.com`), when a proxy in front of
   * this server changes the scheme or host; `return_to` and the Secure rule then use it.
   */
  publicOrigin?: string;
  /** Retry-After of the 503 answered while the keys cannot be fetched. Default 5. */
  retryAfterSeconds?: number;
  /** The clock, in ms since the epoch (tests). */
  now?: () => number;
}

/** The answer to a refused request, the same from every adapter. */
export interface RefusalResponse {
  status: 302 | 503;
  headers: Record<string, string>;
  body: string;
}

/**
 * The check a protected site makes on each request, with the rules of the waitroom's gate
 * endpoint (`GET /api/v1/waitroom/gate/:event_id`): a valid admission token of the event in the
 * `waitroom_pass` cookie or in the `waitroom_token` query parameter lets the request through
 * (a token from the URL becomes the cookie); anything else is sent to the waiting page with
 * `return_to` = the original URL. Verification is offline, against cached keys.
 *
 * While the keys cannot be fetched and a token names a key not cached, the answer is 503 with
 * Retry-After: a token that cannot be verified never lets anyone through, and sending its holder
 * to the waiting page would not help either, since the waitroom is the part that is away.
 */
export class WaitroomGate {
  readonly eventId: string;
  private readonly verifier: AdmissionTokenVerifier;
  private readonly waitroomUrl: string;
  private readonly publicOrigin: { protocol: 'http' | 'https'; host: string } | null;
  private readonly retryAfterSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: WaitroomGateOptions) {
    if (!options.eventId) throw new TypeError('eventId is required');
    this.eventId = options.eventId;
    this.waitroomUrl = options.waitroomUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
    this.publicOrigin = options.publicOrigin ? parseOrigin(options.publicOrigin) : null;
    this.verifier = options.verifier ?? this.createVerifier();
  }

  /** Never rejects: every outcome, a failing `isRevoked` included, is a decision. */
  async checkRequest(request: GateRequest): Promise<GateDecision> {
    const { protocol, host } = this.publicOrigin ?? request;
    const target = requestTarget(request.url);
    const fromQuery = queryToken(target);
    const candidates = [
      ...(fromQuery === null ? [] : [{ token: fromQuery, fromQuery: true }]),
      ...cookieValues(request.cookieHeader, PASS_COOKIE)
        .filter((token) => token !== fromQuery)
        .map((token) => ({ token, fromQuery: false })),
    ];

    // The URL's token first: it is the newer admission when both are there.
    let refusal: RedirectReason | 'jwks_unavailable' | null = null;
    for (const candidate of candidates) {
      const verdict: TokenVerdict = await this.verifier.verify(candidate.token, { eventId: this.eventId });
      if (!verdict.ok) {
        // An unverifiable token weighs more than a bad one: it may be the good pass.
        if (refusal === null || verdict.reason === 'jwks_unavailable') refusal = verdict.reason;
        continue;
      }
      let revoked: boolean;
      try {
        revoked = (await this.options.isRevoked?.(verdict.claims)) === true;
      } catch {
        return this.unavailable('revocation_check_failed');
      }
      if (revoked) {
        if (refusal === null) refusal = 'revoked';
        continue;
      }
      const setCookie = candidate.fromQuery
        ? passCookie(
            candidate.token,
            verdict.claims.expiresAt,
            passCookieIsSecure(protocol, host),
            this.now(),
          )
        : null;
      return { action: 'pass', claims: verdict.claims, setCookie };
    }
    if (refusal === 'jwks_unavailable') return this.unavailable('jwks_unavailable');
    // HTTP/1.0 may come without Host; the waiting page ignores a return_to it does not know.
    const originalUrl = `${protocol}://${host ?? 'localhost'}${target}`;
    return {
      action: 'redirect',
      status: 302,
      location: this.waitingPageUrl(originalUrl),
      reason: refusal ?? 'no_pass',
    };
  }

  /**
   * The decision when memory settles it without waiting, else null (then checkRequest): a pass
   * cookie whose token verified before (a verifier with `rememberVerified`) and that `isRevoked`
   * answers synchronously is not revoked, on a request whose URL carries no token. checkRequest
   * would pass the same request with the same decision; a URL's token (a cookie to set) and
   * anything that needs a verification or an awaited `isRevoked` are left to it.
   */
  checkRemembered(request: Pick<GateRequest, 'url' | 'cookieHeader'>): GateDecision | null {
    if (!request.cookieHeader) return null;
    // A token only comes in a query: most requests have none, and need no parse.
    if (request.url.includes('?') && queryToken(requestTarget(request.url)) !== null) return null;
    for (const token of cookieValues(request.cookieHeader, PASS_COOKIE)) {
      const claims = this.verifier.verifiedBefore(token, { eventId: this.eventId });
      if (!claims) continue;
      let revoked: boolean | Promise<boolean>;
      try {
        revoked = this.options.isRevoked?.(claims) ?? false;
      } catch {
        return null;
      }
      if (revoked === false) return { action: 'pass', claims, setCookie: null };
    }
    return null;
  }

  /** The waiting page of the event, which sends an admitted person back to `returnTo`. */
  waitingPageUrl(returnTo: string): string {
    return (
      `${this.waitroomUrl}/waitroom/${encodeURIComponent(this.eventId)}` +
      `?return_to=${encodeURIComponent(returnTo)}`
    );
  }

  private unavailable(reason: 'jwks_unavailable' | 'revocation_check_failed'): GateDecision {
    return { action: 'unavailable', status: 503, retryAfterSeconds: this.retryAfterSeconds, reason };
  }

  private createVerifier(): AdmissionTokenVerifier {
    const { keys, clockToleranceSeconds, issuer } = this.options;
    const verifierOptions = { clockToleranceSeconds, issuer, now: this.options.now };
    if (keys) return AdmissionTokenVerifier.local(keys, verifierOptions);
    const jwksUrl =
      this.options.jwksUrl ?? (this.waitroomUrl ? `${this.waitroomUrl}/.well-known/jwks.json` : null);
    if (!jwksUrl || !/^https?:\/\//i.test(jwksUrl))
      throw new TypeError('jwksUrl (an http(s) URL) is required when waitroomUrl is not an absolute URL');
    return AdmissionTokenVerifier.remote(jwksUrl, { ...this.options.jwks, ...verifierOptions });
  }
}

/** Shorthand for `new WaitroomGate(options)`. */
export function createWaitroomGate(options: WaitroomGateOptions): WaitroomGate {
  return new WaitroomGate(options);
}

/** Adapters take a gate, or the options to make one. */
export function toGate(gate: WaitroomGate | WaitroomGateOptions): WaitroomGate {
  return gate instanceof WaitroomGate ? gate : new WaitroomGate(gate);
}

/** Status, headers and body of a refusal; null for a pass. */
export function refusalResponse(decision: GateDecision): RefusalResponse | null {
  switch (decision.action) {
    case 'pass':
      return null;
    case 'redirect':
      // Whether a request holds a pass depends on its cookies: no shared cache may keep this.
      return { status: 302, headers: { location: decision.location, 'cache-control': 'no-store' }, body: '' };
    case 'unavailable':
      return {
        status: 503,
        headers: {
          'retry-after': String(decision.retryAfterSeconds),
          'cache-control': 'no-store',
          'content-type': 'text/plain; charset=utf-8',
        },
        body: 'The waiting room cannot be reached to check your pass. Please try again in a moment.\n',
      };
  }
}

/** Path and query of the request target (of an absolute-form one too, as a proxy may send). */
function requestTarget(url: string): string {
  if (url.startsWith('/')) return url;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(url);
  const rest = absolute ? absolute[1] : url;
  return rest.startsWith('/') ? rest : `/${rest}`;
}

function queryToken(target: string): string | null {
  const start = target.indexOf('?');
  if (start < 0) return null;
  const end = target.indexOf('#', start);
  const query = new URLSearchParams(target.slice(start + 1, end < 0 ? undefined : end));
  const token = query.get(TOKEN_PARAMETER);
  return token ? token : null;
}

function parseOrigin(origin: string): { protocol: 'http' | 'https'; host: string } {
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`publicOrigin must be an http(s) origin: ${origin}`);
  return { protocol: url.protocol === 'https:' ? 'https' : 'http', host: url.host };
}
