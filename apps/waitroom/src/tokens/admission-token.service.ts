import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  SignJWT,
  type JWK,
  type KeyLike,
} from 'jose';
import { createPublicKey } from 'node:crypto';
import { Environment } from '../config/environment';

/** What an admission token says (shared CONTRACT.md, "Outside the prefix"). */
export interface AdmissionClaims {
  sessionId: string;
  eventId: string;
  userId: string;
  admittedAtMs: number;
  expiresAtMs: number;
}

const ALGORITHM = 'EdDSA';

/**
 * Signs admission tokens (JWT, EdDSA over Ed25519) and publishes the public keys as a JWKS.
 *
 * Ed25519 signatures are deterministic, and every claim comes from the stored session, so the
 * token in QUEUE_READY and the one GET /sessions/:id returns are the same bytes, and no token
 * is ever stored in Redis. Rotation: set the new ADMISSION_TOKEN_PRIVATE_KEY and move the old
 * public key to ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS until the longest checkout window has passed.
 */
@Injectable()
export class AdmissionTokenService implements OnModuleInit {
  private readonly logger = new Logger(AdmissionTokenService.name);
  private signingKey!: KeyLike;
  private signingKid!: string;
  private jwks: { keys: JWK[] } = { keys: [] };

  constructor(private readonly env: Environment) {}

  async onModuleInit(): Promise<void> {
    let publicKeys: KeyLike[];
    if (this.env.ADMISSION_TOKEN_PRIVATE_KEY) {
      const pem = this.env.ADMISSION_TOKEN_PRIVATE_KEY.replace(/\\n/g, '\n');
      this.signingKey = await importPKCS8(pem, ALGORITHM, { extractable: true });
      publicKeys = [createPublicKey(pem)];
    } else {
      this.logger.warn(
        'ADMISSION_TOKEN_PRIVATE_KEY is not set: generated a signing key for this process only. ' +
          'Tokens will not verify against other instances; set a key in production.',
      );
      const pair = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
      this.signingKey = pair.privateKey;
      publicKeys = [pair.publicKey];
    }
    for (const pem of splitPemBlocks(this.env.ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS ?? '')) {
      publicKeys.push(await importSPKI(pem, ALGORITHM, { extractable: true }));
    }
    const keys: JWK[] = [];
    for (const key of publicKeys) {
      const jwk = await exportJWK(key);
      const kid = await calculateJwkThumbprint(jwk);
      keys.push({ ...jwk, kid, alg: ALGORITHM, use: 'sig' });
    }
    this.signingKid = keys[0].kid!;
    this.jwks = { keys };
  }

  /** The JSON Web Key Set served at /.well-known/jwks.json. */
  publicKeySet(): { keys: JWK[] } {
    return this.jwks;
  }

  async sign(claims: AdmissionClaims): Promise<string> {
    return new SignJWT({ user_id: claims.userId })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.signingKid, typ: 'JWT' })
      .setIssuer(this.env.ADMISSION_TOKEN_ISSUER)
      .setSubject(claims.sessionId)
      .setAudience(claims.eventId)
      .setIssuedAt(Math.floor(claims.admittedAtMs / 1000))
      .setExpirationTime(Math.floor(claims.expiresAtMs / 1000))
      .sign(this.signingKey);
  }
}

function splitPemBlocks(text: string): string[] {
  return (
    text.replace(/\\n/g, '\n').match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? []
  );
}
