import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Environment } from '../config/environment';
import {
  ADMISSION_TOKEN_ALGORITHM,
  AdmissionTokenSigner,
  type AdmissionClaims,
  type AdmissionTokenSignerSettings,
} from './admission-token-signer';

/**
 * Signs admission tokens (JWT, EdDSA over Ed25519) and publishes the public keys as a JWKS.
 *
 * Ed25519 signatures are deterministic, and every claim comes from the stored session, so the
 * token in QUEUE_READY and the one GET /sessions/:id returns are the same bytes, and no token
 * is ever stored in Redis. Rotation: set the new ADMISSION_TOKEN_PRIVATE_KEY and move the old
 * public key to ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS until the longest checkout window has passed.
 *
 * jose builds the JWKS (JWK export, RFC 7638 thumbprints); AdmissionTokenSigner signs. The tests
 * verify these tokens with jose's jwtVerify.
 */
@Injectable()
export class AdmissionTokenService implements OnModuleInit {
  private readonly logger = new Logger(AdmissionTokenService.name);
  private signer!: AdmissionTokenSigner;
  private jwks: { keys: JWK[] } = { keys: [] };

  constructor(private readonly env: Environment) {}

  async onModuleInit(): Promise<void> {
    const signingKey = this.loadSigningKey();
    const publicKeys = [createPublicKey(signingKey)];
    for (const pem of splitPemBlocks(this.env.ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS ?? '')) {
      publicKeys.push(createPublicKey(pem));
    }
    const keys: JWK[] = [];
    for (const key of publicKeys) {
      const jwk = await exportJWK(key);
      keys.push({
        ...jwk,
        kid: await calculateJwkThumbprint(jwk),
        alg: ADMISSION_TOKEN_ALGORITHM,
        use: 'sig',
      });
    }
    this.jwks = { keys };
    this.signer = new AdmissionTokenSigner({
      signingKey,
      kid: keys[0].kid as string,
      issuer: this.env.ADMISSION_TOKEN_ISSUER,
    });
  }

  /** ADMISSION_TOKEN_PRIVATE_KEY, or outside production a key generated for this process. */
  private loadSigningKey(): KeyObject {
    if (this.env.ADMISSION_TOKEN_PRIVATE_KEY) {
      const key = createPrivateKey(this.env.ADMISSION_TOKEN_PRIVATE_KEY.replace(/\\n/g, '\n'));
      if (key.asymmetricKeyType !== 'ed25519') {
        throw new Error('ADMISSION_TOKEN_PRIVATE_KEY must be an Ed25519 private key (PKCS#8 PEM)');
      }
      return key;
    }
    this.logger.warn(
      'ADMISSION_TOKEN_PRIVATE_KEY is not set: generated a signing key for this process only. ' +
        'Tokens will not verify against other instances; set a key in production.',
    );
    return generateKeyPairSync('ed25519').privateKey;
  }

  /** The JSON Web Key Set served at /.well-known/jwks.json. */
  publicKeySet(): { keys: JWK[] } {
    return this.jwks;
  }

  /** Synchronous: one Ed25519 signature costs less CPU than a promise round would add. */
  sign(claims: AdmissionClaims): string {
    return this.signer.sign(claims);
  }

  /** The signer's settings, for the relay's reader thread to sign QUEUE_READY's tokens alike. */
  signerSettings(): AdmissionTokenSignerSettings {
    return this.signer.settings;
  }
}

function splitPemBlocks(text: string): string[] {
  return (
    text.replace(/\\n/g, '\n').match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? []
  );
}
