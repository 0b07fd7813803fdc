import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { PublicIdentityJwk } from '../queue/event-config';
import type { JoinIdentity } from '../queue/queue.scripts';
import { QueueRepository } from '../queue/queue.repository';
import { importIdentityKey, type IdentityKey } from './identity-tokens';
import { IdentityVerifiers } from './identity-verifiers';

/** How long an event's key (or its having none) is used before it is read again. */
const KEY_CACHE_MS = 1000;
/** More cached events than this (tokens sent for made-up event ids) and the cache starts over. */
const MAX_CACHED_EVENTS = 10_000;

interface CachedKey {
  readAtMs: number;
  /** null: the event has no identity key (or does not exist). */
  key: { identity: IdentityKey; digest: string; text: string } | null;
}

/**
 * The identity check of a join (CONTRACT.md, join_identity_jwk): the join's identity token
 * verified against the event's public key, read from the event's config at most once a second
 * per instance and imported once, and never read for a join that carries no token. The verdict
 * names the key it was checked against (the SHA-1 of its stored text), and the join script
 * (join-12.lua) decides against the event's key of that instant: a missing token, a key changed
 * meanwhile, or a token for an event without a key are settled there, atomically.
 */
@Injectable()
export class IdentityKeys {
  private readonly cache = new Map<string, CachedKey>();
  private readonly reading = new Map<string, Promise<CachedKey>>();

  constructor(
    private readonly repository: QueueRepository,
    private readonly verifiers: IdentityVerifiers,
  ) {}

  /** `fresh`: read the key again whatever the cache holds (the join script saw another one). */
  async verdict(
    input: { eventId: string; userId: string; token: string | undefined; trusted: boolean },
    fresh = false,
  ): Promise<JoinIdentity> {
    if (input.trusted) return { kind: 'exempt' };
    if (input.token === undefined) return { kind: 'none' };
    const cached = await this.keyOf(input.eventId, fresh);
    let verdict = await this.check(input, cached);
    // Refused by a key read a while ago: the site may have just rotated it. One read settles it.
    if (verdict.kind === 'invalid' && !fresh) {
      const current = await this.keyOf(input.eventId, true);
      if (current.key && current.key.digest !== cached.key?.digest)
        verdict = await this.check(input, current);
    }
    return verdict;
  }

  private async check(
    input: { eventId: string; userId: string; token: string | undefined },
    { key }: CachedKey,
  ): Promise<JoinIdentity> {
    // No key: the script answers for the event (a token where none is needed changes nothing).
    if (!key || input.token === undefined) return { kind: 'none' };
    const valid = await this.verifiers.verify(input.token, key.identity, key.text, {
      userId: input.userId,
      eventId: input.eventId,
    });
    return valid ? { kind: 'valid', keyDigest: key.digest } : { kind: 'invalid' };
  }

  private async keyOf(eventId: string, fresh: boolean): Promise<CachedKey> {
    const cached = this.cache.get(eventId);
    if (cached && !fresh && Date.now() - cached.readAtMs < KEY_CACHE_MS) return cached;
    let reading = this.reading.get(eventId);
    if (!reading) {
      reading = this.read(eventId).finally(() => this.reading.delete(eventId));
      this.reading.set(eventId, reading);
    }
    return reading;
  }

  private async read(eventId: string): Promise<CachedKey> {
    const readAtMs = Date.now();
    const text = await this.repository.identityJwk(eventId);
    let key: CachedKey['key'] = null;
    if (text !== null) {
      const previous = this.cache.get(eventId)?.key;
      const digest = createHash('sha1').update(text).digest('hex');
      key =
        previous?.digest === digest
          ? previous
          : { identity: await importIdentityKey(JSON.parse(text) as PublicIdentityJwk), digest, text };
    }
    if (this.cache.size >= MAX_CACHED_EVENTS) this.cache.clear();
    const entry = { readAtMs, key };
    this.cache.set(eventId, entry);
    return entry;
  }
}
