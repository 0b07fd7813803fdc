import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { JwksUnavailableError, RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set';

/** What a verified admission token says (CONTRACT.md: sub = session_id, aud = event_id, exp, user_id). */
export interface AdmissionClaims {
  sessionId: string;
  eventId: string;
  userId: string;
  issuer: string | null;
  issuedAt: Date | null;
  expiresAt: Date;
}

/** Why a token was not accepted; the checkout simulator uses these as a metric label. */
export type RejectReason =
  'malformed' | 'bad_signature' | 'unknown_key' | 'expired' | 'wrong_claims' | 'jwks_unavailable';

export type TokenVerdict =
  { ok: true; claims: AdmissionClaims } | { ok: false; reason: RejectReason; message: string };

export interface ExpectedClaims {
  /** `aud` must be this event (or one of these). */
  eventId: string | readonly string[];
  /** `sub` must be this session, when known. */
  sessionId?: string;
}

export interface VerifierOptions {
  /** How far past `exp` (or before `nbf`) a token is still accepted, for clocks that differ. Default 30. */
  clockToleranceSeconds?: number;
  /** When set, `iss` must be this (the waitroom's is "waitroom" unless configured otherwise). */
  issuer?: string;
  /** The clock, in ms since the epoch (tests). */
  now?: () => number;
  /**
   * Remember up to this many tokens that verified (default 0: none), so the same pass checked
   * again (every request of one person's visit) costs a map lookup and an `exp` comparison, not
   * a signature. Only for keys that are never withdrawn while their tokens live (a verifier of
   * pinned keys, or the waitroom's own): a remembered token stays valid until its `exp` even if
   * its key leaves the key set.
   */
  rememberVerified?: number;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Ed25519 is what the waitroom signs with. An explicit list is what keeps `alg: none` and HS256
 * signed with the public key's bytes out: jose refuses them before it looks for a key.
 */
const ALGORITHMS = ['EdDSA'];

/** Far more than an admission token's length; a longer string is refused before it is decoded. */
export const MAX_TOKEN_LENGTH = 4096;

/**
 * A compact JWS: three base64url parts. Checked before jose, whose base64 decoding skips
 * characters outside the alphabet: a signature with a `;` or a space in it still verifies, and
 * the gate copies a verified token into a Set-Cookie header.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies admission tokens offline against the waitroom's keys: signature, `aud`, `sub`, `exp`
 * and the `user_id` claim. Never throws: every outcome is a verdict, and a key set that cannot be
 * fetched is `jwks_unavailable` (the token may be fine; ask again later), never a bad token.
 */
export class AdmissionTokenVerifier {
  private readonly clockTolerance: number;
  /**
   * Tokens that verified, oldest first (rememberVerified), with the expected claims they were
   * verified against. Keyed by the token's last characters (its signature's: the key of a
   * lookup is hashed, and hashing a whole token was a visible share of a gate check); the entry
   * holds the whole token, which a lookup compares.
   */
  private readonly verified = new Map<
    string,
    { token: string; expected: ExpectedClaims; claims: AdmissionClaims }
  >();

  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly options: VerifierOptions = {},
  ) {
    this.clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    if (!(this.clockTolerance >= 0)) throw new RangeError('clockToleranceSeconds must be 0 or more');
  }

  /** The waitroom's published keys (`<waitroom>/.well-known/jwks.json`), cached: see RemoteKeySet. */
  static remote(
    jwksUrl: string | URL,
    options: VerifierOptions & RemoteKeySetOptions = {},
  ): AdmissionTokenVerifier {
    const keySet = new RemoteKeySet(jwksUrl, options);
    return new AdmissionTokenVerifier(keySet.getKey, options);
  }

  /** Keys the site pins (or a test made): nothing is fetched. */
  static local(jwks: JSONWebKeySet, options: VerifierOptions = {}): AdmissionTokenVerifier {
    return new AdmissionTokenVerifier(createLocalJWKSet(jwks), options);
  }

  async verify(token: string, expected: ExpectedClaims): Promise<TokenVerdict> {
    const remember = this.options.rememberVerified ?? 0;
    if (remember > 0) {
      const claims = this.rememberedClaims(token, expected);
      if (claims) return { ok: true, claims };
    }
    const verdict = await this.verifyNow(token, expected);
    if (verdict.ok && remember > 0) {
      // A token verified again for other expectations replaces its entry (one per token).
      const key = rememberedKey(token);
      this.verified.delete(key);
      if (this.verified.size >= remember) this.verified.delete(this.verified.keys().next().value!);
      const { eventId, sessionId } = expected;
      const copy = { eventId: typeof eventId === 'string' ? eventId : [...eventId], sessionId };
      this.verified.set(key, { token, expected: copy, claims: verdict.claims });
    }
    return verdict;
  }

  /**
   * The claims of a token that verified before against the same expectations and has not
   * expired since, without waiting (rememberVerified); null when it would take a verification.
   * For a caller answering synchronously what it can, and going to verify() with the rest.
   */
  verifiedBefore(token: string, expected: ExpectedClaims): AdmissionClaims | null {
    if (!(this.options.rememberVerified ?? 0)) return null;
    return this.rememberedClaims(token, expected);
  }

  private rememberedClaims(token: string, expected: ExpectedClaims): AdmissionClaims | null {
    const key = rememberedKey(token);
    const entry = this.verified.get(key);
    if (!entry || entry.token !== token || !sameExpectations(entry.expected, expected)) return null;
    const nowMs = this.options.now ? this.options.now() : Date.now();
    if (entry.claims.expiresAt.getTime() + this.clockTolerance * 1000 > nowMs) return entry.claims;
    // Expired: verified again by verify(), for its verdict.
    this.verified.delete(key);
    return null;
  }

  private async verifyNow(token: string, expected: ExpectedClaims): Promise<TokenVerdict> {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token))
      return { ok: false, reason: 'malformed', message: 'the token is not a compact JWS' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        audience: typeof expected.eventId === 'string' ? expected.eventId : [...expected.eventId],
        subject: expected.sessionId,
        issuer: this.options.issuer,
        requiredClaims: ['exp', 'sub', 'aud'],
        clockTolerance: this.clockTolerance,
        currentDate: this.options.now ? new Date(this.options.now()) : undefined,
      }));
    } catch (error) {
      return {
        ok: false,
        reason: classify(error),
        message: error instanceof Error ? error.message : String(error),
      };
    }
    const userId = payload.user_id;
    const audience =
      typeof payload.aud === 'string' ? payload.aud : payload.aud?.length === 1 ? payload.aud[0] : undefined;
    if (typeof userId !== 'string' || userId === '' || audience === undefined || !payload.sub) {
      return { ok: false, reason: 'wrong_claims', message: 'the token lacks user_id, a single aud or sub' };
    }
    return {
      ok: true,
      claims: {
        sessionId: payload.sub,
        eventId: audience,
        userId,
        issuer: payload.iss ?? null,
        issuedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : null,
        expiresAt: new Date(payload.exp! * 1000),
      },
    };
  }
}

/** A signature's last 24 characters: 144 bits, unique among tokens that verified in practice. */
function rememberedKey(token: string): string {
  return token.length > 24 ? token.slice(-24) : token;
}

function sameExpectations(a: ExpectedClaims, b: ExpectedClaims): boolean {
  if (a.sessionId !== b.sessionId) return false;
  if (typeof a.eventId === 'string' || typeof b.eventId === 'string') return a.eventId === b.eventId;
  return a.eventId.length === b.eventId.length && a.eventId.every((id, i) => id === b.eventId[i]);
}

function classify(error: unknown): RejectReason {
  if (error instanceof JwksUnavailableError) return 'jwks_unavailable';
  // Anything else that is not jose's comes from a key resolver the caller passed: it could not
  // answer, which says nothing against the token.
  if (!(error instanceof errors.JOSEError)) return 'jwks_unavailable';
  // A jose remote key set passed in: a timeout, a key set that is not one, a non-200 answer
  // (a plain JOSEError, ERR_JOSE_GENERIC) are the waitroom's trouble, not the token's.
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    error.code === 'ERR_JOSE_GENERIC'
  )
    return 'jwks_unavailable';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return 'wrong_claims';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'unknown_key';
  return 'malformed';
}
