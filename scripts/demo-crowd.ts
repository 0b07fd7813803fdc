/**
 * `make demo`: a bounded synthetic crowd for the dev stack, so the dashboard's charts move.
 * DEMO_PEOPLE virtual people arrive over DEMO_ARRIVAL_SECONDS, each joins EVENT_ID, polls its
 * session every 4-6 s (jittered, as the waiting page's fallback does), and about one in ten
 * leaves before being admitted. Admitted people are checked out by the checkout simulator of
 * `make run`. It stops by itself after DEMO_MAX_SECONDS: whoever is still waiting then leaves,
 * so the event is left clean. Loopback only; requests in flight are bounded.
 *
 * Env: WAITROOM_URL, ADMIN_API_KEY (joins are sent as a trusted gateway, so the per-address join
 * limit does not apply to a crowd that all comes from 127.0.0.1), EVENT_ID, DEMO_PEOPLE,
 * DEMO_ARRIVAL_SECONDS, DEMO_MAX_SECONDS (default: arrival + 300), DEMO_LEAVE_SHARE (0.1),
 * DEMO_SHARDS (1): above 1, the crowd joins `<EVENT_ID>-shards-<n>`, configured first as EVENT_ID
 * is but split over that many shards (docs/decisions/0023-sharded-events.md): the page, the
 * dashboard and the simulator work on it as on any event.
 */
import { randomUUID } from 'node:crypto';

const url = (process.env.WAITROOM_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const adminKey = process.env.ADMIN_API_KEY ?? '';
const baseEventId = process.env.EVENT_ID ?? 'concert-2024';
const shards = bounded('DEMO_SHARDS', 1, 1, 64);
const eventId = shards > 1 ? `${baseEventId}-shards-${shards}` : baseEventId;
const people = bounded('DEMO_PEOPLE', 5000, 1, 100_000);
const arrivalSeconds = bounded('DEMO_ARRIVAL_SECONDS', 60, 1, 3600);
const maxSeconds = bounded('DEMO_MAX_SECONDS', arrivalSeconds + 300, 10, 7200);
const leaveShare = Math.min(1, Math.max(0, Number(process.env.DEMO_LEAVE_SHARE ?? '0.1')));
const MAX_IN_FLIGHT = 64;
const TERMINAL = new Set(['completed', 'failed', 'expired', 'left', 'abandoned']);

function bounded(name: string, fallback: number, min: number, max: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`[demo] ${name} must be an integer in ${min}..${max}\n`);
    process.exit(2);
  }
  return value;
}

/** The fields of the contract's session bodies the crowd reads. */
interface SessionBody {
  session_id?: string;
  status?: string;
}

interface Person {
  userId: string;
  sessionId?: string;
  status?: string;
  leavesAt?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let inFlight = 0;
const counts = { joinRefused: 0, errors: 0 };

async function request(
  method: string,
  path: string,
  body?: unknown,
  trusted = false,
): Promise<{ status: number; body: SessionBody | null }> {
  while (inFlight >= MAX_IN_FLIGHT) await sleep(5);
  inFlight++;
  try {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (trusted) headers['x-api-key'] = adminKey;
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as SessionBody) : null };
  } catch {
    counts.errors++;
    return { status: 0, body: null };
  } finally {
    inFlight--;
  }
}

async function live(person: Person, deadline: number): Promise<void> {
  const joined = await request(
    'POST',
    '/api/v1/waitroom/join',
    { user_id: person.userId, event_id: eventId },
    true,
  );
  if (joined.status !== 200 && joined.status !== 201) {
    counts.joinRefused++;
    person.status = `refused ${joined.status}`;
    return;
  }
  person.sessionId = joined.body?.session_id;
  person.status = joined.body?.status;
  if (Math.random() < leaveShare) person.leavesAt = Date.now() + 5_000 + Math.random() * 60_000;
  const path = `/api/v1/waitroom/sessions/${encodeURIComponent(person.sessionId!)}`;
  while (!TERMINAL.has(person.status ?? '') && Date.now() < deadline) {
    await sleep(4000 + Math.random() * 2000);
    if (person.leavesAt !== undefined && Date.now() >= person.leavesAt && person.status === 'queued') {
      const left = await request('DELETE', path);
      if (left.status === 200) person.status = 'left';
      continue;
    }
    const polled = await request('GET', path);
    if (polled.status === 200) person.status = polled.body?.status;
  }
  // Still waiting at the end of the demo: leave, so the event is not left with a stale queue.
  if (!TERMINAL.has(person.status ?? '') && person.sessionId) {
    const left = await request('DELETE', path);
    if (left.status === 200) person.status = 'left (demo over)';
  }
}

/** The sharded demo event: EVENT_ID's settings, split over DEMO_SHARDS shards. */
async function configureShardedEvent(): Promise<void> {
  const admin = { 'x-api-key': adminKey, 'content-type': 'application/json' };
  const base = await fetch(`${url}/api/v1/waitroom/admin/events/${encodeURIComponent(baseEventId)}`, {
    headers: admin,
    signal: AbortSignal.timeout(10_000),
  });
  if (base.status !== 200) {
    process.stderr.write(`[demo] cannot read ${baseEventId} (${base.status}): start 'make run' first\n`);
    process.exit(1);
  }
  const config = (await base.json()) as Record<string, unknown>;
  const settings: Record<string, unknown> = { shards, state: 'open' };
  for (const field of ['capacity', 'admission_rate_per_minute', 'checkout_timeout_seconds', 'checkout_url'])
    if (config[field] !== undefined && config[field] !== null) settings[field] = config[field];
  const put = await fetch(`${url}/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}`, {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify(settings),
    signal: AbortSignal.timeout(10_000),
  });
  if (put.status !== 200 && put.status !== 201) {
    process.stderr.write(`[demo] configuring ${eventId}: ${put.status} ${await put.text()}\n`);
    process.exit(1);
  }
  process.stdout.write(`[demo] ${eventId}: ${baseEventId}'s settings over ${shards} shards\n`);
}

function tally(crowd: Person[]): string {
  const byStatus = new Map<string, number>();
  for (const person of crowd)
    byStatus.set(person.status ?? 'arriving', (byStatus.get(person.status ?? 'arriving') ?? 0) + 1);
  return [...byStatus].map(([status, count]) => `${status} ${count}`).join(', ');
}

async function main(): Promise<void> {
  const ready = await request('GET', '/health/ready');
  if (ready.status !== 200) {
    process.stderr.write(`[demo] ${url} is not ready (is 'make run' running?)\n`);
    process.exit(1);
  }
  if (shards > 1) await configureShardedEvent();
  const started = Date.now();
  const deadline = started + maxSeconds * 1000;
  const run = randomUUID().slice(0, 8);
  const crowd: Person[] = Array.from({ length: people }, (_, i) => ({ userId: `demo-${run}-${i}` }));
  process.stdout.write(
    `[demo] ${people} people arriving at ${eventId} over ${arrivalSeconds} s; the demo ends within ${maxSeconds} s\n` +
      `[demo] watch it: ${url}/admin/dashboard/${eventId}\n`,
  );
  const report = setInterval(() => {
    process.stdout.write(`[demo] +${Math.round((Date.now() - started) / 1000)} s: ${tally(crowd)}\n`);
  }, 5000);
  const lives: Promise<void>[] = [];
  for (let i = 0; i < crowd.length; i++) {
    // Arrivals spread evenly with some jitter, as a sale opening sees them.
    const due = started + (i / crowd.length) * arrivalSeconds * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
    lives.push(live(crowd[i], deadline));
  }
  await Promise.all(lives);
  clearInterval(report);
  process.stdout.write(
    `[demo] done in ${Math.round((Date.now() - started) / 1000)} s: ${tally(crowd)}; ` +
      `joins refused ${counts.joinRefused}, request errors ${counts.errors}\n`,
  );
}

void main();
