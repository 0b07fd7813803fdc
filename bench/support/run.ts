import { benchPrefix, connectRedis, deleteByPrefix, environmentFacts, log, onCleanup } from './common';
import { RedisKeys, appScripts, loadIntoRedis, type ScriptedRedis } from './lua';

export interface BenchRun extends ScriptedRedis {
  facts: Record<string, unknown>;
  /** Key prefix of this run (`<tag><6 hex>:`); everything under it is deleted on every way out. */
  prefix: string;
}

/**
 * The start every benchmark shares: a connection to the stack's Redis, the facts of the box, a
 * key prefix of its own that is cleaned up at the end, the app's Lua scripts loaded, and the
 * options it runs with in the log.
 */
export async function openBenchRun(tag: string, options: Record<string, unknown>): Promise<BenchRun> {
  const redis = connectRedis();
  onCleanup(() => redis.quit());
  const facts = await environmentFacts(redis);
  const prefix = benchPrefix(tag);
  onCleanup(async () => log(`deleted ${await deleteByPrefix(redis, prefix)} keys under ${prefix}`));
  const scripts = appScripts();
  await loadIntoRedis(redis, scripts);
  log(`prefix ${prefix}; options ${JSON.stringify(options)}`);
  return { redis, facts, prefix, keys: new RedisKeys(prefix), scripts };
}
