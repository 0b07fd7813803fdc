/**
 * An identity-token verifier thread (a worker_threads entry point, started by
 * IdentityVerifiers): checks tokens off the main thread, whose every microsecond is a join's.
 * One Ed25519 verification costs about 40% of a join's CPU (docs/benchmarks.md, bench:gate).
 * Requests carry the key as its stored JWK text, imported once per thread.
 */
import { parentPort } from 'node:worker_threads';
import type { PublicIdentityJwk } from '../queue/event-config';
import { checkIdentityToken, importIdentityKeySync, type IdentityKey } from './identity-tokens';

export interface VerifyRequest {
  id: number;
  /** The event's join_identity_jwk as stored (JSON). */
  keyText: string;
  token: string;
  userId: string;
  eventId: string;
}

export interface VerifyReply {
  id: number;
  valid: boolean;
}

const keys = new Map<string, IdentityKey | null>();

function keyOf(text: string): IdentityKey | null {
  let key = keys.get(text);
  if (key === undefined) {
    try {
      key = importIdentityKeySync(JSON.parse(text) as PublicIdentityJwk);
    } catch {
      key = null;
    }
    if (keys.size >= 1000) keys.clear();
    keys.set(text, key);
  }
  return key;
}

parentPort?.on('message', (request: VerifyRequest) => {
  const key = keyOf(request.keyText);
  const valid =
    key !== null &&
    checkIdentityToken(request.token, key, { userId: request.userId, eventId: request.eventId });
  parentPort!.postMessage({ id: request.id, valid } satisfies VerifyReply);
});
