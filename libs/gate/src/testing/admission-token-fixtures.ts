import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test fixtures of the gate's specs (not exported by the library): waitroom keys, admission
 * tokens signed as the waitroom signs them, and a key set server that counts its fetches.
 */

export interface WaitroomKey {
  privateKey: KeyLike;
  /** The public JWK as the waitroom publishes it: kid = RFC 7638 thumbprint. */
  jwk: JWK;
}

export async function waitroomKey(): Promise<WaitroomKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'EdDSA', use: 'sig' } };
}

export interface TokenClaims {
  sub?: string;
  aud?: string;
  user_id?: unknown;
  /** `exp`, in seconds from `nowMs`. */
  expSeconds?: number;
  nowMs?: number;
}

/** A token as the waitroom signs it (AdmissionTokenSigner): EdDSA, kid, iss, sub, aud, iat, exp, user_id. */
export function admissionToken(key: WaitroomKey, claims: TokenClaims = {}): Promise<string> {
  const now = Math.floor((claims.nowMs ?? Date.now()) / 1000);
  const jwt = new SignJWT({ user_id: 'user-1', ...('user_id' in claims ? { user_id: claims.user_id } : {}) })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.jwk.kid, typ: 'JWT' })
    .setIssuer('waitroom')
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expSeconds ?? 600));
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'ev-1~session');
  if (claims.aud !== '') jwt.setAudience(claims.aud ?? 'ev-1');
  return jwt.sign(key.privateKey);
}

/** `alg: none`: the payload of a real token, no signature. */
export function unsignedToken(token: string): string {
  const payload = token.split('.')[1];
  return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
}

/** The key-confusion attack: HS256 with the public key's bytes (its `x`) as the HMAC secret. */
export async function hmacWithPublicKey(key: WaitroomKey, claims: TokenClaims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ user_id: 'user-1' })
    .setProtectedHeader({ alg: 'HS256', kid: key.jwk.kid, typ: 'JWT' })
    .setIssuer('waitroom')
    .setSubject(claims.sub ?? 'ev-1~session')
    .setAudience(claims.aud ?? 'ev-1')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(Buffer.from(key.jwk.x!, 'base64url'));
}

/** A real node:http server publishing a key set, counting the fetches. */
export class JwksServer {
  keys: JWK[] = [];
  status = 200;
  fetches = 0;
  private server: Server | null = null;
  url = '';

  /** Serves `keys`, answering 200, and counts the fetches from 0 again. */
  serve(keys: JWK[]): void {
    this.keys = keys;
    this.status = 200;
    this.fetches = 0;
  }

  async start(): Promise<this> {
    this.server = createServer((_req, res) => {
      this.fetches++;
      res
        .writeHead(this.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    // fetch keeps connections alive; close() alone would wait for them.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }
}

/** A waitroom key and a started key set server publishing it (stop it in afterAll). */
export async function servedWaitroomKey(): Promise<{ key: WaitroomKey; jwks: JwksServer }> {
  const jwks = await new JwksServer().start();
  const key = await waitroomKey();
  jwks.serve([key.jwk]);
  return { key, jwks };
}
