import { importJWK, jwtVerify, type KeyLike } from 'jose';
import type { PublicIdentityJwk } from '../queue/event-config';

/** An identity token's `exp` may be at most this far ahead (CONTRACT.md, join_identity_jwk). */
export const MAX_IDENTITY_TOKEN_AHEAD_SECONDS = 3600;
/** How far clocks of the site and the service may differ, for `exp`, `nbf` and the hour ahead. */
export const IDENTITY_CLOCK_TOLERANCE_SECONDS = 30;
/** Far longer than a token a site mints (a JWS of sub, aud, iat, exp); a longer one is refused unread. */
export const MAX_IDENTITY_TOKEN_LENGTH = 2048;
/** Three base64url parts: jose's decoder skips other characters, so they are refused first. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const ALGORITHM_OF = { OKP: 'EdDSA', EC: 'ES256' } as const;

/** A site's identity key, imported once for every join of its event. */
export interface IdentityKey {
  key: KeyLike | Uint8Array;
  algorithm: 'EdDSA' | 'ES256';
}

/** Imports an event's public JWK; throws when it is no usable key (a P-256 point off the curve). */
export async function importIdentityKey(jwk: PublicIdentityJwk): Promise<IdentityKey> {
  const algorithm = ALGORITHM_OF[jwk.kty];
  return { key: await importJWK({ ...jwk, alg: algorithm }, algorithm), algorithm };
}

/**
 * Whether `token` is a valid identity token of the site for this user and event: signed by the
 * event's key with its algorithm only (never `alg: none`, never a MAC), `sub` = the user id,
 * `aud` = the event, `exp` in the future and at most an hour ahead, `nbf` (if any) passed.
 * Never throws.
 */
export async function isValidIdentityToken(
  token: string,
  identity: IdentityKey,
  expected: { userId: string; eventId: string; nowMs?: number },
): Promise<boolean> {
  if (token.length > MAX_IDENTITY_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return false;
  const nowMs = expected.nowMs ?? Date.now();
  try {
    const { payload } = await jwtVerify(token, identity.key, {
      algorithms: [identity.algorithm],
      audience: expected.eventId,
      subject: expected.userId,
      requiredClaims: ['exp', 'sub', 'aud'],
      clockTolerance: IDENTITY_CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowMs),
    });
    const aheadSeconds = payload.exp! - nowMs / 1000;
    return aheadSeconds <= MAX_IDENTITY_TOKEN_AHEAD_SECONDS + IDENTITY_CLOCK_TOLERANCE_SECONDS;
  } catch {
    // jose's verdicts (bad signature, claims, algorithm) and anything a garbage token makes it
    // throw: a token that cannot be verified is not valid.
    return false;
  }
}
