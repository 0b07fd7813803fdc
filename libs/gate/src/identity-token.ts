import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/** The key kinds the waitroom accepts as an event's `join_identity_jwk` (CONTRACT.md). */
export type IdentityKeyKind = 'Ed25519' | 'P-256';

export interface IdentityKeyPair {
  /** Stays on the site: it signs identity tokens. */
  privateJwk: JWK;
  /** The event's `join_identity_jwk`: the same key without its private part `d`. */
  publicJwk: JWK;
}

export interface MintIdentityTokenInput {
  /** The site's private key (Ed25519 `OKP` or P-256 `EC`, with `d`). */
  privateJwk: JWK;
  /** The person's id on the site: the join's `user_id`, the token's `sub`. */
  userId: string;
  /** The event the person may join: the token's `aud`. */
  eventId: string;
  /** Lifetime, 1 s to 1 h (the waitroom refuses a token expiring later). Default 300. */
  ttlSeconds?: number;
  /** The clock, in ms since the epoch (tests). */
  now?: () => number;
}

/** The waitroom refuses an identity token whose `exp` is more than an hour ahead. */
export const MAX_IDENTITY_TTL_SECONDS = 3600;

const ALGORITHM_OF = { Ed25519: 'EdDSA', 'P-256': 'ES256' } as const;

/**
 * A short-lived identity token, for a join to an event whose `join_identity_jwk` is set: the
 * site vouches that the person joining is `userId` (CONTRACT.md, POST /join `identity_token`).
 * Pass it to the waiting page as `identity_token` (with `user_id`). Throws on a key or an input
 * that would only give a token the waitroom refuses.
 */
export async function mintIdentityToken(input: MintIdentityTokenInput): Promise<string> {
  const { privateJwk, userId, eventId, ttlSeconds = 300 } = input;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_IDENTITY_TTL_SECONDS)
    throw new RangeError(`ttlSeconds must be a whole number from 1 to ${MAX_IDENTITY_TTL_SECONDS}`);
  if (typeof userId !== 'string' || userId === '') throw new TypeError('userId must be a non-empty string');
  if (typeof eventId !== 'string' || eventId === '')
    throw new TypeError('eventId must be a non-empty string');
  const kind = identityKeyKind(privateJwk);
  if (typeof privateJwk.d !== 'string') throw new TypeError('privateJwk has no private part (d)');
  const alg = ALGORITHM_OF[kind];
  const key = await importJWK({ ...privateJwk, alg }, alg);
  const issuedAt = Math.floor((input.now ?? Date.now)() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setSubject(userId)
    .setAudience(eventId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(key);
}

/** A new key pair for identity tokens, with `kid` (its RFC 7638 thumbprint), `alg` and `use`. */
export async function generateIdentityKeyPair(kind: IdentityKeyKind = 'Ed25519'): Promise<IdentityKeyPair> {
  const alg = ALGORITHM_OF[kind];
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(kind === 'Ed25519' ? { crv: 'Ed25519' } : {}),
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const extra = { kid, alg, use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...extra },
    publicJwk: { ...publicJwk, ...extra },
  };
}

function identityKeyKind(jwk: JWK): IdentityKeyKind {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'Ed25519';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'P-256';
  throw new TypeError('privateJwk must be an Ed25519 (OKP) or P-256 (EC) key');
}
