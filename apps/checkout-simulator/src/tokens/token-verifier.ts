import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** What a verified admission token says (CONTRACT.md: sub = session_id, aud = event_id, exp, user_id). */
export interface AdmissionClaims {
  sessionId: string;
  eventId: string;
  userId: string;
  issuer: string | null;
  issuedAt: Date | null;
  expiresAt: Date;
}

/** Why a token was not accepted; also the `reason` label of the rejected-tokens metric. */
export type RejectReason =
  'malformed' | 'bad_signature' | 'unknown_key' | 'expired' | 'wrong_claims' | 'jwks_unavailable';

export type TokenVerdict =
  { ok: true; claims: AdmissionClaims } | { ok: false; reason: RejectReason; message: string };

export interface Expected {
  /** `aud` must be this event (or one of these). */
  eventId: string | readonly string[];
  /** `sub` must be this session, when known. */
  sessionId?: string;
}

/** Ed25519 is what the waitroom signs with; anything else (none, HS256 with the public key...) is refused. */
const ALGORITHMS = ['EdDSA'];

/**
 * Verifies admission tokens against the waitroom's JWKS: signature, `aud`, `sub`, `exp` and the
 * `user_id` claim. Never throws: every outcome is a verdict, and a key set that cannot be
 * fetched is `jwks_unavailable` (the caller may try again), never a bad token.
 */
export class TokenVerifier {
  constructor(private readonly keys: JWTVerifyGetKey) {}

  /**
   * The waitroom's published keys. jose caches them (10 min) and fetches again, at most every
   * 30 s, when a token names a key id it has not seen: a key rotation is picked up at once.
   */
  static remote(jwksUrl: string, timeoutMs = 2000): TokenVerifier {
    return new TokenVerifier(createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: timeoutMs }));
  }

  async verify(token: string, expected: Expected): Promise<TokenVerdict> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        audience: typeof expected.eventId === 'string' ? expected.eventId : [...expected.eventId],
        subject: expected.sessionId,
        requiredClaims: ['exp', 'sub', 'aud'],
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

function classify(error: unknown): RejectReason {
  // Network errors of the key fetch are not jose's: the waitroom is away, the token may be fine.
  if (!(error instanceof errors.JOSEError)) return 'jwks_unavailable';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'jwks_unavailable';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return 'wrong_claims';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'unknown_key';
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSEAlgNotAllowed
  )
    return 'malformed';
  // A non-200 answer from the key URL is a plain JOSEError (ERR_JOSE_GENERIC).
  if (error.code === 'ERR_JOSE_GENERIC') return 'jwks_unavailable';
  return 'malformed';
}
