import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { PublicIdentityJwk } from '../queue/event-config';

/** An identity token's `exp` may be at most this far ahead (CONTRACT.md, join_identity_jwk). */
export const MAX_IDENTITY_TOKEN_AHEAD_SECONDS = 3600;
/** How far clocks of the site and the service may differ, for `exp`, `nbf` and the hour ahead. */
export const IDENTITY_CLOCK_TOLERANCE_SECONDS = 30;
/** Far longer than a token a site mints (a JWS of sub, aud, iat, exp); a longer one is refused unread. */
export const MAX_IDENTITY_TOKEN_LENGTH = 2048;
/** Three base64url parts: anything else is refused before it is decoded. */
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

const ALGORITHM_OF = { OKP: 'EdDSA', EC: 'ES256' } as const;

/** A site's identity key, imported once for every join of its event. */
export interface IdentityKey {
  key: KeyObject;
  /** The one algorithm its tokens may name. */
  algorithm: 'EdDSA' | 'ES256';
}

/** Imports an event's public JWK; throws when it is no usable key (a P-256 point off the curve). */
export function importIdentityKey(jwk: PublicIdentityJwk): Promise<IdentityKey> {
  try {
    return Promise.resolve(importIdentityKeySync(jwk));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** importIdentityKey, synchronous (throws). */
export function importIdentityKeySync(jwk: PublicIdentityJwk): IdentityKey {
  const { kty, crv, x } = jwk;
  const key = createPublicKey({
    key: jwk.kty === 'EC' ? { kty, crv, x, y: jwk.y } : { kty, crv, x },
    format: 'jwk',
  });
  return { key, algorithm: ALGORITHM_OF[jwk.kty] };
}

/**
 * Whether `token` is a valid identity token of the site for this user and event: a compact JWS
 * whose header names the key's one algorithm (never `none`, never a MAC, no `crit` extension),
 * signed by the key, with `sub` = the user id, `aud` = the event (or a list holding it), `exp`
 * in the future and at most an hour ahead, `nbf` (if any) passed. Clock skew of 30 s allowed.
 *
 * node:crypto directly, as the admission-token signer does (tokens/admission-token-signer.ts):
 * a compact JWS is two JSON parts and one signature, and jose's jwtVerify cost several times
 * crypto.verify's time on the join path (`npm run bench:gate`). Never throws.
 */
export function isValidIdentityToken(
  token: string,
  identity: IdentityKey,
  expected: { userId: string; eventId: string; nowMs?: number },
): Promise<boolean> {
  return Promise.resolve(checkIdentityToken(token, identity, expected));
}

/** The check itself, synchronous: what the verifier threads run (identity-verify.thread.ts). */
export function checkIdentityToken(
  token: string,
  identity: IdentityKey,
  expected: { userId: string; eventId: string; nowMs?: number },
): boolean {
  if (token.length > MAX_IDENTITY_TOKEN_LENGTH) return false;
  const parts = COMPACT_JWS.exec(token);
  if (!parts) return false;
  const header = decodeJson(parts[1]);
  if (!header || header.alg !== identity.algorithm || header.crit !== undefined || header.b64 !== undefined)
    return false;
  const signature = Buffer.from(parts[3], 'base64url');
  // Both algorithms sign with 64 bytes (ES256: r || s, as JWS has it, not DER).
  if (signature.length !== 64) return false;
  const signingInput = Buffer.from(`${parts[1]}.${parts[2]}`);
  let valid: boolean;
  try {
    valid =
      identity.algorithm === 'EdDSA'
        ? verify(null, signingInput, identity.key, signature)
        : verify('sha256', signingInput, { key: identity.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
  if (!valid) return false;
  const claims = decodeJson(parts[2]);
  if (!claims) return false;
  const now = (expected.nowMs ?? Date.now()) / 1000;
  const { sub, aud, exp, nbf } = claims;
  if (sub !== expected.userId) return false;
  if (!(aud === expected.eventId || (Array.isArray(aud) && aud.includes(expected.eventId)))) return false;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return false;
  if (exp <= now - IDENTITY_CLOCK_TOLERANCE_SECONDS) return false;
  if (exp - now > MAX_IDENTITY_TOKEN_AHEAD_SECONDS + IDENTITY_CLOCK_TOLERANCE_SECONDS) return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + IDENTITY_CLOCK_TOLERANCE_SECONDS))
    return false;
  return true;
}

/** A base64url part as a JSON object, or null. */
function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
