/**
 * What AOF costs the join path: not a test, a bounded measurement behind
 * docs/decisions/0009-redis-persistence.md.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only test/faults/support/aof-cost.measure.ts \
 *     [rounds=4] [seconds=5] [connections=20]
 *
 * Three Redis servers of its own on loopback (ports 6391, 6392, 6393, data in temporary folders on
 * the local disk): no persistence (the old stack), deploy/redis/redis.conf (AOF, appendfsync
 * everysec) and the same file with appendfsync always. One app per server (startApp, no admission
 * scheduler or relay, so Kafka stays out of the figures), measured in interleaved rounds of
 * `seconds` of joins at `connections` connections, in rotating order, so a change in the box's
 * speed hits all three alike. Reports joins/s and Redis CPU per join (INFO cpu, whole process).
 */
import Redis from 'ioredis';
import { join } from 'node:path';
import { runJoinLoad } from '../../../bench/support/load';
import { startApp, type RunningApp } from '../../support/app-harness';
import { RedisProcess } from '../../support/redis-processes';

const [rounds, seconds, connections] = [2, 3, 4].map((i, k) => Number(process.argv[i] ?? [4, 5, 20][k]));
const STACK_REDIS_CONF = join(__dirname, '..', '..', '..', 'deploy', 'redis', 'redis.conf');

interface Subject {
  label: string;
  redis: RedisProcess;
  app?: RunningApp;
  eventId?: string;
  joins: number;
  flowingSeconds: number;
  redisCpuMs: number;
}

async function redisCpuMs(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<void> {
  const subjects: Subject[] = [
    { label: 'no persistence', redis: new RedisProcess(6391) },
    { label: 'AOF everysec', redis: new RedisProcess(6392, [], { configFile: STACK_REDIS_CONF }) },
    {
      label: 'AOF always',
      redis: new RedisProcess(6393, ['--appendfsync', 'always'], { configFile: STACK_REDIS_CONF }),
    },
  ].map((s) => ({ ...s, joins: 0, flowingSeconds: 0, redisCpuMs: 0 }));
  try {
    for (const s of subjects) {
      await s.redis.start();
      s.app = await startApp({ env: { REDIS_URL: s.redis.url }, background: false });
      s.eventId = await s.app.http.createEvent('aof-cost', { capacity: 1, state: 'paused' });
    }
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < subjects.length; k++) {
        const s = subjects[(round + k) % subjects.length];
        const cpuBefore = await redisCpuMs(s.redis.url);
        const run = await runJoinLoad({
          baseUrl: s.app!.baseUrl,
          eventId: s.eventId!,
          connections,
          duration: seconds,
          userPrefix: `r${round}-`,
        });
        s.redisCpuMs += (await redisCpuMs(s.redis.url)) - cpuBefore;
        s.joins += run.ok;
        s.flowingSeconds += run.flowingSeconds;
        console.log(`round ${round + 1} ${s.label}: ${Math.round(run.perSecond)} joins/s`);
      }
    }
    console.log(`\n${rounds} rounds x ${seconds} s at ${connections} connections`);
    console.log('| Redis | joins/s | Redis CPU per join |');
    console.log('|---|---|---|');
    for (const s of subjects) {
      const perSecond = Math.round(s.joins / s.flowingSeconds);
      const cpuUs = Math.round((s.redisCpuMs * 1000) / s.joins);
      console.log(`| ${s.label} | ${perSecond} | ${cpuUs} µs |`);
    }
  } finally {
    for (const s of subjects) await s.app?.close();
    for (const s of subjects) s.redis.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
