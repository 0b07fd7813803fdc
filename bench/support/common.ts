/**
 * Shared plumbing of the benchmarks (bench/*.bench.ts): options, the Redis guard and key
 * cleanup, child processes that are always killed, CPU accounting, statistics and output.
 *
 * Benchmarks are not tests: each one measures a baseline in the same run and reports ratios,
 * because absolute figures on a 2-core box with the load generator on it say little alone.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';

export { sleep };

export const ROOT = resolve(__dirname, '..', '..');
export const RESULTS_DIR = join(ROOT, 'bench-results');
export const SERVICE_MAIN = join(ROOT, 'dist/apps/waitroom/apps/waitroom/src/main.js');

/**
 * The node flags `npm start` (and the Dockerfile) run the service with, e.g. the young-generation
 * size: read from package.json so the benchmark measures the service as it is deployed.
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(1).filter((word) => word.startsWith('--'));
}
export const DIST_SCRIPTS_DIR = join(ROOT, 'dist/apps/waitroom/apps/waitroom/src/redis/scripts');
export const SOURCE_SCRIPTS_DIR = join(ROOT, 'apps/waitroom/src/redis/scripts');
/** 32 characters, as the brief asks (the service needs at least 16). */
export const ADMIN_KEY = `bench-admin-key-${randomBytes(8).toString('hex')}`;

// ------------------------------------------------------------------ options

/**
 * `--name=value` on the command line, else `BENCH_NAME` in the environment (dashes become
 * underscores), else the default. Every benchmark prints the options it ran with.
 */
export function option(name: string, fallback: string): string {
  const flag = `--${name}=`;
  const fromArgv = process.argv.find((arg) => arg.startsWith(flag));
  if (fromArgv !== undefined) return fromArgv.slice(flag.length);
  const fromEnv = process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fallback;
}

export function numberOption(name: string, fallback: number): number {
  const raw = option(name, String(fallback)).replace(/_/g, '');
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${name}: not a number: ${raw}`);
  return value;
}

export function listOption(name: string, fallback: number[]): number[] {
  return option(name, fallback.join(','))
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const value = Number(part.replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'));
      if (!Number.isFinite(value)) throw new Error(`--${name}: not a number list: ${part}`);
      return value;
    });
}

type OptionValue = number | string | number[] | string[];

/**
 * A benchmark's options, declared once with their defaults. Each is read as `--flag=value` (else
 * BENCH_FLAG, see option()); the flag is the key in kebab case (`tickBatch`: --tick-batch) unless
 * `flags` names another. A value takes its default's type: a number, a string, a list of numbers
 * (listOption) or a set of words (`--phases=a,b`, each once). The object is what the benchmark
 * prints and saves as its options.
 */
export function benchOptions<T extends Record<string, OptionValue>>(
  defaults: T,
  flags: Partial<Record<keyof T, string>> = {},
): T {
  const read: Record<string, OptionValue> = {};
  for (const [key, fallback] of Object.entries(defaults)) {
    const flag = flags[key] ?? key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    if (typeof fallback === 'number') read[key] = numberOption(flag, fallback);
    else if (typeof fallback === 'string') read[key] = option(flag, fallback);
    else if (typeof fallback[0] === 'number') read[key] = listOption(flag, fallback as number[]);
    else read[key] = [...new Set(option(flag, fallback.join(',')).split(','))];
  }
  return read as T;
}

export function commandLine(): string {
  const args = process.argv.slice(2);
  const event = process.env.npm_lifecycle_event;
  if (event && event !== 'npx')
    return [`npm run ${event}`, ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
  return [
    'npx ts-node -r tsconfig-paths/register --transpile-only',
    relative(ROOT, process.argv[1] ?? ''),
    ...args,
  ].join(' ');
}

// ------------------------------------------------------------------ Redis

export const REDIS_URL = option('redis-url', 'redis://127.0.0.1:6390');
export const KAFKA_BROKERS = option('kafka-brokers', '127.0.0.1:9092');

/** Same rule as test/support/test-env.ts: 6379 is the shared Redis, never touched. */
export function connectRedis(url = REDIS_URL): Redis {
  const parsed = new URL(url);
  if ((parsed.port || '6379') === '6379')
    throw new Error(`refusing ${url}: port 6379 is the shared Redis; the stack's is 6390`);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname)) {
    throw new Error(`refusing ${url}: benchmarks run over loopback only`);
  }
  return new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: false });
}

/** A key prefix of this run only: short, because key length is part of the memory per session. */
export function benchPrefix(label: string): string {
  return `${label}${randomBytes(3).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK in pages). Never FLUSHDB: the Redis is shared. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  if (/[*?[\]\\]/.test(prefix)) throw new Error(`prefix with glob characters: ${prefix}`);
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    cursor = next;
    for (let i = 0; i < keys.length; i += 1000) deleted += await redis.unlink(...keys.slice(i, i + 1000));
  } while (cursor !== '0');
  return deleted;
}

/** `INFO <section>` as a record. */
export async function redisInfo(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  const info: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const split = line.indexOf(':');
    if (split > 0 && !line.startsWith('#')) info[line.slice(0, split)] = line.slice(split + 1);
  }
  return info;
}

/**
 * calls and usec of one command from INFO commandstats. Server-wide: every other client's calls
 * of the same command mix in (another test run's EVALSHAs, say), so the benchmarks use these
 * for call counts while they are the only busy client, not for per-call durations.
 */
export async function commandStats(redis: Redis, command: string): Promise<{ calls: number; usec: number }> {
  const line = (await redisInfo(redis, 'commandstats'))[`cmdstat_${command}`];
  if (!line) return { calls: 0, usec: 0 };
  const field = (name: string) => Number(new RegExp(`${name}=([0-9.]+)`).exec(line)?.[1] ?? 0);
  return { calls: field('calls'), usec: field('usec') };
}

// ------------------------------------------------------------------ cleanup and child processes

const cleanups: (() => Promise<unknown>)[] = [];
const children = new Set<ChildProcess>();
let cleaning: Promise<void> | undefined;

/** Runs at the end, last registered first, also after an error or Ctrl-C. */
export function onCleanup(step: () => Promise<unknown>): void {
  cleanups.push(step);
}

export function runCleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of children) await stopChild(child);
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      await step().catch((error: unknown) => console.error(`cleanup step failed: ${String(error)}`));
    }
  })();
  return cleaning;
}

/** Runs a benchmark's main with cleanup on every exit path; sets the exit code. */
export function runBenchmark(main: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: cleaning up`);
    void runCleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Output piped into `head` and closed early must not kill the run before its cleanup.
  process.stdout.on('error', () => undefined);
  // Last resort if something exits the process directly: no child outlives the benchmark.
  process.once('exit', () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });
  main()
    .then(
      () => runCleanup(),
      async (error: unknown) => {
        console.error(
          `\nbenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        process.exitCode = 1;
        await runCleanup();
      },
    )
    .finally(() => {
      // kafkajs and ioredis sockets are closed by their cleanups; anything left must not hang the run.
      setTimeout(() => process.exit(), 200).unref();
    });
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopChild(child: ChildProcess, graceMs = 15000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** Keeps the last lines a child wrote, for error messages. */
export function captureTail(
  child: ChildProcess,
  label: string,
  echo = option('verbose', '') !== '',
): () => string {
  const lines: string[] = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      if (echo) console.error(`[${label}] ${line}`);
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => lines.join('\n');
}

/**
 * A server the benchmark started as a child process that tells its port over IPC (`{ port }`):
 * tracked, so it is stopped on every way out, and its last lines kept for an error. Resolves once
 * the port is known.
 */
export async function childServer(
  child: ChildProcess,
  label: string,
): Promise<{ baseUrl: string; pid: number; stop: () => Promise<void> }> {
  track(child);
  const tail = captureTail(child, label);
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${label} server did not start:\n${tail()}`)), 60000);
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer);
      done(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${label} server exited with ${code}:\n${tail()}`));
    });
  });
  return { baseUrl: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child) };
}

/**
 * The static baseline: a node:http server (a child process, so it has a core of its own as the
 * service does) answering every request with `status`, `headers` (name, value pairs, as
 * writeHead takes them) and `body`, nothing else done.
 */
export function startStaticServer(
  status: number,
  headers: string[],
  body = '',
): Promise<{ baseUrl: string; pid: number; stop: () => Promise<void> }> {
  const code = `
    const body = Buffer.from(process.env.STATIC_BODY);
    const headers = JSON.parse(process.env.STATIC_HEADERS);
    const status = Number(process.env.STATIC_STATUS);
    const server = require('node:http').createServer((request, response) => {
      response.writeHead(status, headers);
      response.end(body);
    });
    server.keepAliveTimeout = 30000;
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    process.on('disconnect', () => process.exit(0));
    process.on('SIGTERM', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', code], {
    env: {
      PATH: process.env.PATH ?? '',
      STATIC_STATUS: String(status),
      STATIC_BODY: body,
      STATIC_HEADERS: JSON.stringify(headers),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return childServer(child, `static ${status}`);
}

/**
 * The baseline server (bench/support/bare-join-server.ts, node:http + ioredis running the app's
 * scripts) on `redisUrl`, its keys under `prefix`; `variant` names a what-if (`auto-pipelining`,
 * `coalesced`), plain without one.
 */
export function startBareJoinServer(redisUrl: string, prefix: string, variant?: string) {
  const child = fork(join(__dirname, 'bare-join-server.ts'), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      ...(variant ? { BARE_VARIANT: variant } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return childServer(child, 'bare');
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export async function waitForHttp(
  url: string,
  child: ChildProcess,
  tail: () => string,
  timeoutMs = 60000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before answering ${url}:\n${tail()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url} in ${timeoutMs} ms:\n${tail()}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------------ the service

/**
 * Builds dist/ when asked, or when it is missing or older than a source file (apps/, libs/).
 * `--build=auto|always|never`.
 */
export function ensureBuilt(mode = option('build', 'auto')): { built: boolean; reason: string } {
  const newest = (directory: string): number => {
    let latest = 0;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) latest = Math.max(latest, newest(path));
      else if (/\.(ts|lua|json)$/.test(entry.name) && !entry.name.endsWith('.spec.ts'))
        latest = Math.max(latest, statSync(path).mtimeMs);
    }
    return latest;
  };
  let reason = '';
  if (mode === 'always') reason = '--build=always';
  else if (!existsSync(SERVICE_MAIN)) reason = 'dist/ is missing';
  else if (mode !== 'never') {
    const sources = Math.max(newest(join(ROOT, 'apps')), newest(join(ROOT, 'libs')));
    if (sources > statSync(SERVICE_MAIN).mtimeMs) reason = 'a source file is newer than dist/';
  }
  if (!reason || mode === 'never')
    return { built: false, reason: reason ? `${reason} (but --build=never)` : 'dist/ is up to date' };
  console.log(`building the service (${reason}): npm run build`);
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return { built: true, reason };
}

/**
 * `--service-env=NAME=value,NAME=value`: extra settings for the service under test, for what-if
 * runs (e.g. OUTBOX_RELAY_INTERVAL_MS=10). Printed with the options; the default is none.
 */
export function serviceEnvOverrides(): Record<string, string> {
  const raw = option('service-env', '');
  const env: Record<string, string> = {};
  for (const pair of raw.split(',').filter(Boolean)) {
    const split = pair.indexOf('=');
    if (split <= 0) throw new Error(`--service-env: expected NAME=value, got ${pair}`);
    env[pair.slice(0, split)] = pair.slice(split + 1);
  }
  return env;
}

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  tail: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the built service (dist/.../main.js) as its own process, the way `npm start` does,
 * with the brief's settings. cwd is a temporary directory so no stray .env is read. Like every
 * tracked child it is stopped at the end (runCleanup), whatever happens; stop() stops it sooner.
 */
export async function startService(
  prefix: string,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    KAFKA_BROKERS,
    JOIN_RATE_LIMIT_PER_MINUTE: '0',
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
    ...serviceEnvOverrides(),
    ...extraEnv,
  };
  const child = track(
    spawn(process.execPath, [...productionNodeFlags(), ...nodeArgs, SERVICE_MAIN], {
      cwd: tmpdir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tail = captureTail(child, 'service');
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${baseUrl}/health/live`, child, tail);
  } catch (error) {
    await stopChild(child, 2000);
    throw error;
  }
  return { child, port, baseUrl, tail, stop: () => stopChild(child) };
}

export async function httpJson(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, body: parsed };
}

/** A call of the admin API on one event, /api/v1/waitroom/admin/events/:id, with the admin key. */
function adminEventCall(method: string, baseUrl: string, eventId: string, body?: unknown) {
  return httpJson(method, `${baseUrl}/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}`, body, {
    'x-api-key': ADMIN_KEY,
  });
}

/** PUT /api/v1/waitroom/admin/events/:id, which also registers the event for the relay and the scheduler. */
export async function putEvent(
  baseUrl: string,
  eventId: string,
  config: Record<string, unknown>,
): Promise<void> {
  const response = await adminEventCall('PUT', baseUrl, eventId, config);
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`PUT event ${eventId}: ${response.status} ${JSON.stringify(response.body)}`);
}

/** GET /api/v1/waitroom/admin/events/:id: the event's config and stats, as the admin API answers. */
export async function getEvent(baseUrl: string, eventId: string): Promise<Record<string, any>> {
  return (await adminEventCall('GET', baseUrl, eventId)).body as Record<string, any>;
}

/** DELETE /api/v1/waitroom/admin/events/:id (the event must be closed). */
export async function deleteEvent(baseUrl: string, eventId: string): Promise<void> {
  const removed = await adminEventCall('DELETE', baseUrl, eventId);
  if (removed.status !== 200) throw new Error(`DELETE ${eventId}: ${removed.status}`);
}

// ------------------------------------------------------------------ CPU accounting

const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export function kafkaPid(): number | null {
  const file = join(ROOT, '.stack/run/kafka.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function redisPid(redis: Redis): Promise<number | null> {
  const pid = Number((await redisInfo(redis, 'server')).process_id);
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : null;
}

/** Busy CPU time of the whole box so far (ms summed over cores), from /proc/stat. */
export function boxBusyCpuMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * CPU used by named processes (and this one, the load generator) over a window, and by
 * everything else on the box (`other`): another build or test run skews a measurement, and
 * this says by how much.
 */
export class CpuMeter {
  private readonly start = new Map<string, number | null>();
  private readonly self = process.cpuUsage();
  private readonly box = boxBusyCpuMs();
  private readonly startedAt = performance.now();

  constructor(private readonly pids: Record<string, number | null | undefined>) {
    for (const [name, pid] of Object.entries(pids)) this.start.set(name, pid ? processCpuMs(pid) : null);
  }

  /** CPU ms per process, wall ms of the window, and the share of the box's cores others used. */
  stop(): { wallMs: number; cpuMs: Record<string, number | null>; otherCoreShare: number | null } {
    const cpuMs: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.start.get(name);
      const after = pid ? processCpuMs(pid) : null;
      cpuMs[name] = before === null || before === undefined || after === null ? null : after - before;
    }
    const self = process.cpuUsage(this.self);
    cpuMs.loadGenerator = (self.user + self.system) / 1000;
    const wallMs = performance.now() - this.startedAt;
    const boxNow = boxBusyCpuMs();
    let otherCoreShare: number | null = null;
    if (this.box !== null && boxNow !== null) {
      const ours = Object.values(cpuMs).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
      otherCoreShare = Math.max(0, (boxNow - this.box - ours) / (wallMs * cpus().length));
    }
    cpuMs.other = otherCoreShare === null ? null : otherCoreShare * wallMs * cpus().length;
    return { wallMs, cpuMs, otherCoreShare };
  }
}

/**
 * Waits (up to --quiet-wait seconds, default 90) until the box is mostly idle, measured over
 * one second; returns the busy share of all cores seen last. Our own idle children (Kafka's
 * JVM, an idle service) are part of the baseline noise and stay well under the threshold.
 */
export async function waitForQuiet(label: string, threshold = 0.2): Promise<number | null> {
  const deadline = Date.now() + numberOption('quiet-wait', 90) * 1000;
  let announced = false;
  for (;;) {
    const before = boxBusyCpuMs();
    const started = performance.now();
    await sleep(1000);
    const after = boxBusyCpuMs();
    if (before === null || after === null) return null;
    const busy = (after - before) / ((performance.now() - started) * cpus().length);
    if (busy <= threshold) return Math.round(busy * 1000) / 1000;
    if (Date.now() > deadline) {
      console.warn(
        `warning (${label}): the box is still ${(busy * 100).toFixed(0)}% busy; measuring anyway (figures skewed)`,
      );
      return Math.round(busy * 1000) / 1000;
    }
    if (!announced)
      log(
        `${label}: the box is ${(busy * 100).toFixed(0)}% busy (another build or test?); waiting for it to calm down`,
      );
    announced = true;
  }
}

// ------------------------------------------------------------------ statistics

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (any unit). */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return { count: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const at = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))];
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, mean: sum / count, p50: at(50), p90: at(90), p99: at(99), max: sorted[count - 1] };
}

/** A growable Float64 buffer: latencies of a long run without an array of boxed numbers. */
export class Samples {
  private buffer = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.buffer.length) {
      const bigger = new Float64Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.length++] = value;
  }

  values(): Float64Array {
    return this.buffer.subarray(0, this.length);
  }
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null ||
    a === undefined ||
    b === null ||
    b === undefined ||
    b === 0 ||
    !Number.isFinite(a) ||
    !Number.isFinite(b)
    ? null
    : a / b;
}

// ------------------------------------------------------------------ output

export function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(
    `|${widths.map((width, column) => (column === 0 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`,
  );
  for (const row of cells.slice(1)) console.log(line(row));
}

/** Facts about the machine and the code that a reader of the figures needs. */
export async function environmentFacts(redis: Redis): Promise<Record<string, unknown>> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  const server = await redisInfo(redis, 'server');
  return {
    date: new Date().toISOString(),
    command: commandLine(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    loadavgAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    redisVersion: server.redis_version,
    gitHead: git(['rev-parse', '--short', 'HEAD']),
    uncommittedAppFiles:
      git(['status', '--porcelain', '--', 'apps', 'libs'])?.split('\n').filter(Boolean).length ?? null,
    serviceEnvOverrides: serviceEnvOverrides(),
  };
}

/** Warns when something else is busy on the box: the figures would be skewed. */
export function warnIfBusy(label: string): number {
  const [oneMinute] = loadavg();
  if (oneMinute > 0.7)
    console.warn(
      `warning (${label}): 1-minute load average is ${oneMinute.toFixed(2)} on ${cpus().length} cores; figures may be skewed`,
    );
  return Math.round(oneMinute * 100) / 100;
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}
