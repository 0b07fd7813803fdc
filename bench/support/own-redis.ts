import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import {
  ensureBuilt,
  environmentFacts,
  freePort,
  log,
  onCleanup,
  processCpuMs,
  sleep,
  startService,
  stopChild,
  track,
  type ServiceProcess,
} from './common';

/**
 * A redis-server of the benchmark's own (no persistence, a free loopback port, removed at the
 * end), so its command counter sees one service instance and nothing else on the box.
 */
export async function startOwnRedis(
  label: string,
  extraArgs: string[] = [],
): Promise<{ redis: Redis; url: string; pid: number; port: number }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `waitroom-${label}-`));
  const child = track(
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...extraArgs,
      ],
      {
        stdio: 'ignore',
      },
    ),
  );
  onCleanup(async () => {
    await stopChild(child, 2000);
    rmSync(dir, { recursive: true, force: true });
  });
  // Wait for the server to answer before the client that measures connects.
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      probe.disconnect();
      break;
    } catch (error) {
      probe.disconnect();
      if (attempt > 50) throw error;
      await sleep(100);
    }
  }
  const redis = new Redis(port, '127.0.0.1');
  // Children (this server among them) are stopped before the cleanup steps run: no error storm.
  redis.on('error', () => undefined);
  onCleanup(() => redis.quit());
  return { redis, url: `redis://127.0.0.1:${port}`, pid: child.pid!, port };
}

/** Redis's count of commands processed so far (scripts' inner commands included). */
export async function commandsProcessed(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);
}

/**
 * The start of a benchmark on a Redis of its own: dist/ built when it is stale, the server up,
 * the facts of the box (with the build's) and the options it runs with in the log.
 */
export async function openOwnRedisRun(
  label: string,
  options: Record<string, unknown>,
): Promise<{ redis: Redis; url: string; pid: number; facts: Record<string, unknown> }> {
  const build = ensureBuilt();
  const own = await startOwnRedis(label);
  const facts = { ...(await environmentFacts(own.redis)), build };
  log(`options ${JSON.stringify(options)}`);
  return { ...own, facts };
}

/** The key prefix of the service a benchmark starts on its own Redis. */
export const SERVICE_PREFIX = 'wr:';

/** The built service on the Redis at `url`, its keys under SERVICE_PREFIX, errors only in its log. */
export function startServiceOn(url: string, nodeArgs: string[] = []): Promise<ServiceProcess> {
  return startService(SERVICE_PREFIX, { REDIS_URL: url, LOG_LEVEL: 'error' }, nodeArgs);
}

/**
 * Waits `seconds` and reports what the process `pid` and Redis did meanwhile: the process's CPU
 * (cores), Redis's commands/s (the measurement's own two INFO calls left out) and how fast
 * `count` grew (per second).
 */
export async function measureWindow(
  redis: Redis,
  pid: number,
  seconds: number,
  count: () => number = () => 0,
): Promise<{ cores: number; commandsPerSecond: number; perSecond: number }> {
  const commandsBefore = await commandsProcessed(redis);
  const cpuBefore = processCpuMs(pid)!;
  const countBefore = count();
  const started = performance.now();
  await sleep(seconds * 1000);
  const wallMs = performance.now() - started;
  const cpuMs = processCpuMs(pid)! - cpuBefore;
  return {
    cores: cpuMs / wallMs,
    commandsPerSecond: (((await commandsProcessed(redis)) - commandsBefore - 2) * 1000) / wallMs,
    perSecond: ((count() - countBefore) * 1000) / wallMs,
  };
}
