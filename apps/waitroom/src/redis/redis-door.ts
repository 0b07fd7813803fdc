import { Cluster } from 'ioredis';
import { DomainError } from '../common/domain-error';
import { loadLuaScripts, type LuaScript } from './lua-scripts';
import { createRedisClient, type RedisClient, type RedisConnectionSettings } from './redis-client';
import { RedisKeys } from './redis-keys';
import { ReplicaConfirmation } from './replica-confirmation';
import type { RedisCall } from './script-definition';
import { StoreUnavailableError } from './store-errors';
import { WriteCoalescer } from './write-coalescer';

/** What a door is made from: plain values, so the relay's reader thread can open one too. */
export type RedisDoorSettings = RedisConnectionSettings & {
  REDIS_KEY_PREFIX: string;
  OUTBOX_ENTRY_FORMAT: 'packed' | 'fields';
  REDIS_WRITE_COALESCING: boolean;
  /** Absent or 0: a state change is done once the master has it (the reader thread only reads). */
  REDIS_WAIT_REPLICAS?: number;
  REDIS_WAIT_TIMEOUT_MS?: number;
};

/**
 * The one way to Redis: a connection, its key builder and its Lua scripts. Every call goes
 * through a typed wrapper (script-definition.ts: a Lua script or a single command, with its KEYS,
 * ARGV and reply in one place); the raw client never leaves this class.
 *
 * Failure policy: no offline queue and a command timeout, so when Redis is away a call fails
 * at once with STORE_UNAVAILABLE (503 + Retry-After) instead of piling up or hanging a request.
 *
 * With REDIS_WAIT_REPLICAS, a script whose wrapper says `replicated` (a state change someone is
 * told about) returns only once that many replicas hold it, else fails with STORE_UNAVAILABLE:
 * its effect is then on the master but unconfirmed, and the caller's retry finds it
 * (replica-confirmation.ts).
 */
export class RedisDoor {
  readonly keys: RedisKeys;
  private readonly client: RedisClient;
  private readonly scripts: Map<string, LuaScript>;
  /** Null for a cluster: its commands go to one connection per node, chosen inside ioredis. */
  private readonly writes: WriteCoalescer | null;
  private readonly timeoutMs: number;
  /** Null unless REDIS_WAIT_REPLICAS asks for replicas. */
  private readonly replication: { confirmation: ReplicaConfirmation; close: () => void } | null;

  constructor(settings: RedisDoorSettings) {
    this.keys = new RedisKeys(settings.REDIS_KEY_PREFIX);
    this.scripts = loadLuaScripts(undefined, { OUTBOX_ENTRY_FORMAT: settings.OUTBOX_ENTRY_FORMAT });
    this.client = createRedisClient(settings);
    this.timeoutMs = settings.REDIS_COMMAND_TIMEOUT_MS;
    this.writes =
      settings.REDIS_WRITE_COALESCING && !(this.client instanceof Cluster)
        ? new WriteCoalescer(this.client)
        : null;
    this.replication = settings.REDIS_WAIT_REPLICAS
      ? this.replicationOn(settings, settings.REDIS_WAIT_REPLICAS)
      : null;
  }

  /** WAIT blocks the connection it is sent on: a standalone or Sentinel master gets one of its own. */
  private replicationOn(settings: RedisDoorSettings, replicas: number): RedisDoor['replication'] {
    const client = this.client instanceof Cluster ? this.client : createRedisClient(settings);
    // Its outages are the main connection's, which reports them (onConnectionError).
    if (client !== this.client) client.on('error', () => undefined);
    const confirmation = new ReplicaConfirmation(
      client,
      replicas,
      settings.REDIS_WAIT_TIMEOUT_MS ?? 500,
      settings.REDIS_KEY_PREFIX,
    );
    const close = () => {
      if (client !== this.client) client.disconnect();
    };
    return { confirmation, close };
  }

  /** Runs one script or command through its typed wrapper: the call built from `input`, the reply parsed. */
  async run<Input, Reply>(definition: RedisCall<Input, Reply>, input: Input): Promise<Reply> {
    const { keys, args } = definition.build(input);
    const reply =
      definition.kind === 'script'
        ? await this.runScript(definition.file, keys, args)
        : await this.call(() => this.client.call(definition.command, ...keys, ...args));
    if (definition.kind === 'script' && definition.replicated) await this.confirmReplicated(keys[0]);
    return definition.parse(reply, input);
  }

  /**
   * Resolves once REDIS_WAIT_REPLICAS replicas hold every write made so far on the master of
   * `slotKey` (at once when none are asked for); STORE_UNAVAILABLE when they do not in time. The
   * outbox relay calls it before publishing entries it read, so Kafka never hears of a change a
   * failover could still take back.
   */
  async confirmReplicated(slotKey: string): Promise<void> {
    if (this.replication) await this.replication.confirmation.confirm(slotKey);
  }

  /** Resolves when Redis answers PING; fails like any call otherwise. */
  async ping(): Promise<void> {
    await this.call(() =>
      this.client instanceof Cluster ? this.client.nodes('master')[0].ping() : this.client.ping(),
    );
  }

  /** Connection errors, as ioredis reports them (each call's own failure is its caller's). */
  onConnectionError(listener: (error: Error) => void): void {
    this.client.on('error', listener);
  }

  /** Whether the connection is ready within `timeoutMs` (it is never waited for longer). */
  async whenReady(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.client.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Closes the connection, gracefully if Redis answers. */
  async close(): Promise<void> {
    this.replication?.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private async runScript(name: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const script = this.scripts.get(name);
    if (!script) throw new Error(`unknown Lua script ${name}`);
    if (keys.length !== script.numberOfKeys) {
      throw new Error(`${name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    }
    // One deadline for both round trips: the NOSCRIPT fallback must not double the wait.
    return this.call(async () => {
      try {
        return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          // First call on this node (or after a restart/failover): send the source once; Redis caches it.
          return this.client.eval(script.source, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });
  }

  /**
   * Runs a client call with the failure mapping, and fails it with STORE_UNAVAILABLE once
   * REDIS_COMMAND_TIMEOUT_MS has passed since the call was made. ioredis's commandTimeout alone
   * starts counting only when a command is written: a command can wait, unwritten, behind a
   * pipeline that is itself waiting on a frozen Redis, and then takes two timeouts.
   */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), this.timeoutMs);
    });
    this.writes?.hold();
    try {
      return await Promise.race([operation(), deadline]);
    } catch (error) {
      throw toStoreError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A Lua error is a bug and stays an error; a connection problem becomes STORE_UNAVAILABLE. */
function toStoreError(error: unknown): Error {
  if (error instanceof DomainError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/^(ERR|WRONGTYPE|NOSCRIPT)/.test(message) && !/ERR Error running script.*(BUSY|OOM)/.test(message)) {
    return error instanceof Error ? error : new Error(message);
  }
  return new StoreUnavailableError();
}
