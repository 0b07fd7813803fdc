import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, onCleanup, sleep, stopChild, track } from './common';

/**
 * A redis-server of the benchmark's own (no persistence, a free loopback port, removed at the
 * end), so its command counter sees one service instance and nothing else on the box.
 */
export async function startOwnRedis(label: string): Promise<{ redis: Redis; url: string; pid: number }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `waitroom-${label}-`));
  const child = track(
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
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
  return { redis, url: `redis://127.0.0.1:${port}`, pid: child.pid! };
}

/** Redis's count of commands processed so far (scripts' inner commands included). */
export async function commandsProcessed(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);
}
