import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { DomainError } from '../common/domain-error';
import { StoreUnavailableError } from './store-errors';
import { Environment } from '../config/environment';
import { loadLuaScripts, type LuaScript } from './lua-scripts';
import { createRedisClient, type RedisClient } from './redis-client';
import { RedisKeys } from './redis-keys';
import type { ScriptDefinition } from './script-definition';
import { WriteCoalescer } from './write-coalescer';

/**
 * The one Redis connection of the process, its key builder and its Lua scripts.
 * Repositories call {@link run} with a script's typed wrapper; nothing else touches the raw client.
 *
 * Failure policy: no offline queue and a command timeout, so when Redis is away a call fails
 * at once with STORE_UNAVAILABLE (503 + Retry-After) instead of piling up or hanging a request.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  private readonly scripts: Map<string, LuaScript>;
  /** Null for a cluster: its commands go to one connection per node, chosen inside ioredis. */
  private readonly writes: WriteCoalescer | null;

  constructor(env: Environment) {
    this.keys = new RedisKeys(env.REDIS_KEY_PREFIX);
    this.scripts = loadLuaScripts(undefined, { OUTBOX_ENTRY_FORMAT: env.OUTBOX_ENTRY_FORMAT });
    const client = createRedisClient(env);
    this.client = client;
    this.writes =
      env.REDIS_WRITE_COALESCING && !(client instanceof Cluster) ? new WriteCoalescer(client) : null;
    this.client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
  }

  /**
   * Gives the connection a moment before the schedulers start, so a normal start logs no errors.
   * Never fails: with Redis away the service starts degraded (503s, readiness down) and recovers.
   */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      this.client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if ((this.client.status as string) !== 'ready')
      this.logger.warn('redis is not reachable yet; serving degraded until it is');
  }

  /** Runs one script through its typed wrapper: the call built from `input`, the reply parsed. */
  async run<Input, Reply>(script: ScriptDefinition<Input, Reply>, input: Input): Promise<Reply> {
    const call = script.build(input);
    return script.parse(await this.runScript(script.file, call.keys, call.args), input);
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
   * Runs any client call with the same failure mapping as scripts, and fails it with
   * STORE_UNAVAILABLE once REDIS_COMMAND_TIMEOUT_MS has passed since the call was made.
   * ioredis's commandTimeout alone starts counting only when a command is written: with
   * auto-pipelining a command waits, unwritten, while the previous pipeline (the admission
   * step's, the relay's) is still waiting on a frozen Redis, so a join took two timeouts.
   */
  async call<T>(operation: () => Promise<T>): Promise<T> {
    const timeoutMs =
      this.client instanceof Cluster
        ? this.client.options.redisOptions?.commandTimeout
        : this.client.options.commandTimeout;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      if (timeoutMs !== undefined)
        timer = setTimeout(() => reject(new Error('Command timed out')), timeoutMs);
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

  async ping(): Promise<void> {
    await this.call(() =>
      this.client instanceof Cluster ? this.client.nodes('master')[0].ping() : this.client.ping(),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
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
