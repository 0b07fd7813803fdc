import { Topics } from '@waitroom/contracts';
import type { Producer } from 'kafkajs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { sendRaw, testProducer } from './support/kafka';
import { startSimulator, type RunningSimulator } from './support/simulator-harness';

/**
 * Issue 12, "lint-clean interfaces": the service's /metrics passes `promtool check metrics` with no
 * warnings (the checkout simulator's too), and its OpenAPI document passes `redocly lint` (the
 * recommended ruleset, redocly.yaml) with no errors and no warnings. Both tools run on what the
 * real applications serve, after traffic that gives every metric family samples.
 *
 * promtool comes from Debian's `prometheus` package (.ci/run installs it when it is missing);
 * redocly is the @redocly/cli devDependency.
 */
const ROOT = join(__dirname, '..');

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with `input` on its stdin; never rejects on a non-zero exit. */
function runTool(command: string, args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `promtool check metrics` on one exposition: its exit code and everything it printed. */
async function promtool(exposition: string): Promise<{ code: number | null; output: string }> {
  const run = await runTool('promtool', ['check', 'metrics'], exposition).catch((error: unknown) => {
    throw new Error(
      `promtool could not be run (${String(error)}): install Debian's prometheus package (apt-get install prometheus)`,
    );
  });
  return { code: run.code, output: `${run.stdout}${run.stderr}`.trim() };
}

/**
 * Families that have samples only while something is pending: nodejs_active_requests counts libuv
 * requests (file system, DNS) in flight at the moment of the scrape, usually none.
 */
const MOMENTARY_FAMILIES = ['nodejs_active_requests'];

/** The metric families of an exposition (from its # TYPE lines) that have no sample. */
function familiesWithoutSamples(exposition: string): string[] {
  const lines = exposition.split('\n');
  const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
  const sampled = new Set(
    lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0]),
  );
  return families.filter(
    (family) =>
      !MOMENTARY_FAMILIES.some((momentary) => family.endsWith(`_${momentary}`)) &&
      !['', '_total', '_count', '_bucket', '_sum', '_created'].some((s) => sampled.has(`${family}${s}`)),
  );
}

describe('lint-clean interfaces', () => {
  const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const eventId = `lint-${suffix}`;
  let waitroom: RunningApp;

  beforeAll(async () => {
    waitroom = await startApp();
  });
  afterAll(async () => {
    await waitroom?.close();
  });

  it('serves /metrics that `promtool check metrics` passes without a warning, every family with samples', async () => {
    // Traffic through every instrumented path: joins, polls, a leave, admissions, the outbox relay,
    // an unmatched route.
    expect((await waitroom.http.upsertEvent(eventId, { capacity: 2, state: 'paused' })).status).toBe(201);
    const sessions: string[] = [];
    for (const user of ['p1', 'p2', 'p3', 'p4']) {
      const joined = await waitroom.http.join(user, eventId);
      expect(joined.status).toBe(201);
      sessions.push(joined.body.session_id);
      expect((await waitroom.http.session(joined.body.session_id)).status).toBe(200);
    }
    expect((await waitroom.http.leave(sessions[0])).status).toBe(200);
    expect((await waitroom.http.get('/no/such/route')).status).toBe(404);
    expect((await waitroom.http.upsertEvent(eventId, { capacity: 2, state: 'open' })).status).toBe(200);
    await eventually(
      async () => (await waitroom.http.stats(eventId)).body.active_count,
      (active) => active === 2,
    );

    const exposition = await eventually(
      async () => (await waitroom.http.get<string>('/metrics')).body,
      (text) => /^waitroom_outbox_published_total [1-9]/m.test(text),
    );
    expect(familiesWithoutSamples(exposition)).toEqual([]);
    expect(await promtool(exposition)).toEqual({ code: 0, output: '' });
  });

  describe('the checkout simulator', () => {
    const simEventId = `lint-sim-${suffix}`;
    let sim: RunningSimulator;
    let producer: Producer;

    beforeAll(async () => {
      sim = await startSimulator({
        // A group of its own: this test must not take partitions from another simulator.
        groupId: `lint-simulator-${suffix}`,
        env: {
          SIMULATED_EVENTS: simEventId,
          CHECKOUT_DELAY_MS: '10-50',
          CHECKOUT_FAILURE_RATE: '0.5',
          WAITROOM_URL: waitroom.baseUrl,
        },
      });
      producer = await testProducer();
    }, 90_000);
    afterAll(async () => {
      await producer?.disconnect();
      await sim?.close();
    });

    it('serves /metrics that `promtool check metrics` passes without a warning', async () => {
      expect((await waitroom.http.upsertEvent(simEventId, { capacity: 6, state: 'open' })).status).toBe(201);
      for (let i = 0; i < 6; i++) expect((await waitroom.http.join(`s${i}`, simEventId)).status).toBe(201);
      // One admission with a token that does not verify, and one record that is not JSON.
      await sendRaw(
        producer,
        Topics.QUEUE_READY,
        JSON.stringify({
          message_id: `lint-${suffix}`,
          session_id: `lint-forged-${suffix}`,
          user_id: 'forged',
          event_id: simEventId,
          admitted_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 60_000).toISOString(),
          admission_token: 'not.a.token',
          timestamp: new Date().toISOString(),
        }),
        simEventId,
      );
      await sendRaw(producer, Topics.QUEUE_READY, 'not json', simEventId);
      const outcomes = async () =>
        (await sim.metric('checkout_simulator_checkouts_completed_total', { event_id: simEventId })) +
        (await sim.metric('checkout_simulator_checkouts_failed_total', { event_id: simEventId }));
      await eventually(outcomes, (count) => count === 6, 30_000, 100);
      await eventually(
        () => sim.metric('checkout_simulator_tokens_rejected_total'),
        (count) => count >= 1,
      );

      const exposition = (await sim.http.get<string>('/metrics')).body;
      expect(await promtool(exposition)).toEqual({ code: 0, output: '' });
    }, 60_000);
  });

  it('serves an OpenAPI document that `redocly lint` (recommended rules) passes with 0 errors and 0 warnings', async () => {
    const response = await waitroom.http.get('/api/docs-json');
    expect(response.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'waitroom-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(response.body, null, 2));
      const run = await runTool(
        'npx',
        ['--no-install', 'redocly', 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'],
        '',
        // No usage report to Redocly and no update check from a test run.
        { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      );
      let report: { totals?: { errors: number; warnings: number }; problems?: unknown[] };
      try {
        report = JSON.parse(run.stdout);
      } catch {
        throw new Error(
          `redocly lint printed no JSON report (exit ${run.code}):\n${run.stdout}\n${run.stderr}`,
        );
      }
      const problems = (report.problems ?? []).map((problem) => {
        const { ruleId, severity, message, location } = problem as {
          ruleId: string;
          severity: string;
          message: string;
          location?: { pointer?: string }[];
        };
        return `${severity} ${ruleId}: ${message} (${location?.[0]?.pointer ?? ''})`;
      });
      expect(problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      expect(run.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // What the lint cannot know: which operations need the key, and that every 2xx body is described.
    interface Operation {
      security?: unknown;
      responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
    }
    const paths = (response.body as { paths: Record<string, Record<string, Operation>> }).paths;
    const operations = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );
    const securityOf = (name: string) =>
      name.includes('/admin/')
        ? [{ 'x-api-key': [] }]
        : name === 'POST /api/v1/waitroom/join'
          ? [{}, { 'x-api-key': [] }]
          : [];
    expect(operations.map(({ name, operation }) => [name, operation.security])).toEqual(
      operations.map(({ name }) => [name, securityOf(name)]),
    );
    const undescribed = operations.flatMap(({ name, operation }) =>
      Object.entries(operation.responses)
        // A 204 (the gate's pass) has no body to describe (RFC 9110, 15.3.5).
        .filter(([status]) => status.startsWith('2') && status !== '204')
        .filter(
          ([, body]) =>
            Object.keys(body.content ?? {}).length === 0 ||
            Object.values(body.content ?? {}).some((media) => !media.schema),
        )
        .map(([status]) => `${name} ${status}`),
    );
    expect(undescribed).toEqual([]);
  }, 60_000);
});
