import { sign, type KeyObject } from 'node:crypto';

/** What an admission token says (shared CONTRACT.md, "Outside the prefix"). */
export interface AdmissionClaims {
  sessionId: string;
  eventId: string;
  userId: string;
  admittedAtMs: number;
  expiresAtMs: number;
}

export const ADMISSION_TOKEN_ALGORITHM = 'EdDSA';

/** What a signer is made of: plain values and a KeyObject, all of which a worker thread can receive. */
export interface AdmissionTokenSignerSettings {
  signingKey: KeyObject;
  kid: string;
  issuer: string;
}

/**
 * Signs admission tokens: a compact JWS (EdDSA over Ed25519) of the claims. Signing is
 * node:crypto directly: a compact JWS is two base64url strings and one signature, and jose's
 * SignJWT took about twice crypto.sign's time per token (docs/benchmarks.md), which bounded how
 * fast QUEUE_READY is relayed. Ed25519 is deterministic, so the same claims always give the same
 * token, whichever thread or instance signs them.
 */
export class AdmissionTokenSigner {
  /** base64url of the protected header, the same for every token of this key. */
  private readonly encodedHeader: string;

  constructor(readonly settings: AdmissionTokenSignerSettings) {
    this.encodedHeader = base64url({ alg: ADMISSION_TOKEN_ALGORITHM, kid: settings.kid, typ: 'JWT' });
  }

  /** Synchronous: one Ed25519 signature costs less CPU than a promise round would add. */
  sign(claims: AdmissionClaims): string {
    const payload = base64url({
      user_id: claims.userId,
      iss: this.settings.issuer,
      sub: claims.sessionId,
      aud: claims.eventId,
      iat: Math.floor(claims.admittedAtMs / 1000),
      exp: Math.floor(claims.expiresAtMs / 1000),
    });
    const signingInput = `${this.encodedHeader}.${payload}`;
    // Ed25519 takes no digest algorithm (null): the key type decides.
    return `${signingInput}.${sign(null, Buffer.from(signingInput), this.settings.signingKey).toString('base64url')}`;
  }
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
