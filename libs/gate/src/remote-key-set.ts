import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type KeyLike,
} from 'jose';

export interface RemoteKeySetOptions {
  /** How long one fetch of the key set may take. Default 2000 ms. */
  timeoutMs?: number;
  /**
   * Least time between a successful fetch and the next one. A token naming an unknown `kid`
   * within it is `unknown_key` without a fetch, so forged key ids cannot make every request
   * fetch. Default 30 s (jose's `createRemoteJWKSet` cooldown).
   */
  cooldownMs?: number;
  /**
   * Keys older than this are fetched again in the background while the cached ones keep
   * verifying, so a key the waitroom stops publishing stops verifying. Default 10 min.
   */
  maxAgeMs?: number;
  /** Least time between a failed fetch and the next attempt. Default 1000 ms. */
  failureBackoffMs?: number;
  /** The clock, in ms since the epoch (tests). */
  now?: () => number;
}

/** The key set could not be fetched: the token may be fine, it cannot be checked now. */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The waitroom's published keys, cached in memory. jose's `createRemoteJWKSet` refetches on an
 * unknown `kid` with a cooldown too, but once its cache is stale, or while it has never loaded,
 * every verification waits on a fetch of its own, and one that fails is tried again by the next
 * request: a waitroom that is down would then cost every page view of the site a fetch, and
 * turn away people whose pass the cached keys still verify. Here a fetch happens only:
 *   - when no key set has been loaded yet (at most one attempt per `failureBackoffMs`);
 *   - for an unknown `kid`, at most once per `cooldownMs` (a key rotation is seen at once);
 *   - in the background when the keys are older than `maxAgeMs`; a failure keeps the old keys.
 * Concurrent verifications share one fetch.
 */
export class RemoteKeySet {
  private local: LocalKeySet | null = null;
  private fetched: JSONWebKeySet | null = null;
  private pending: Promise<void> | null = null;
  /** No fetch starts before this time, except for a first load while none is pending. */
  private nextFetchAt = Number.NEGATIVE_INFINITY;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly failureBackoffMs: number;
  private readonly now: () => number;

  constructor(url: string | URL, options: RemoteKeySetOptions = {}) {
    this.url = new URL(url);
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:')
      throw new TypeError(`the key set URL must be http(s): ${this.url.href}`);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.failureBackoffMs = options.failureBackoffMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** A jose key resolver (`JWTVerifyGetKey`): pass it to `jwtVerify`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> => {
    let local = this.local;
    if (local === null) {
      await this.fetchKeys();
      local = this.local!;
    } else if (this.now() - this.loadedAt >= this.maxAgeMs && this.mayFetch()) {
      // The failure is kept in nextFetchAt; the cached keys answer meanwhile.
      this.fetchKeys().catch(() => undefined);
    }
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !this.mayFetch()) throw error;
      await this.fetchKeys();
      return this.local!(header, token);
    }
  };

  /** The keys as last fetched (for a readiness check or a log line), or null before the first fetch. */
  get keys(): JSONWebKeySet | null {
    return this.fetched;
  }

  private mayFetch(): boolean {
    return this.pending !== null || this.now() >= this.nextFetchAt;
  }

  /** Joins the fetch under way or starts one; rejects with JwksUnavailableError. */
  private fetchKeys(): Promise<void> {
    if (this.pending) return this.pending;
    if (this.now() < this.nextFetchAt && this.local === null)
      return Promise.reject(new JwksUnavailableError('the key set could not be fetched a moment ago'));
    this.pending = this.load().finally(() => (this.pending = null));
    return this.pending;
  }

  private async load(): Promise<void> {
    const startedAt = this.now();
    try {
      const response = await fetch(this.url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 200) {
        // Let the connection be reused instead of waiting on a body nobody reads.
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      const keySet = (await response.json()) as JSONWebKeySet;
      this.local = createLocalJWKSet(keySet);
      this.fetched = keySet;
      this.loadedAt = startedAt;
      this.nextFetchAt = startedAt + this.cooldownMs;
    } catch (error) {
      this.nextFetchAt = startedAt + this.failureBackoffMs;
      const reason = error instanceof Error ? error.message : String(error);
      throw new JwksUnavailableError(`the key set at ${this.url.href} could not be fetched: ${reason}`);
    }
  }
}
