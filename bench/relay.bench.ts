/**
 * Outbox relay: how fast the service moves a backlog from the Redis outbox stream to Kafka,
 * against a raw kafkajs producer sending the same number of same-size messages with sendBatch
 * (the ceiling), in the same run; and end-to-end latency from a join's HTTP response to an
 * independent consumer receiving its QUEUE_JOINED, under a steady join load.
 *
 *   npm run bench:relay -- [--n=50000] [--ready-n=20000] [--batch=500] [--rounds=3]
 *                          [--e2e-rate=500] [--e2e-duration=10] [--phases=baseline,drain,ready,e2e]
 *                          [--build=auto|always|never] [--group-wait=120] [--quiet-wait=90]
 *                          [--service-env=OUTBOX_RELAY_INTERVAL_MS=10] [--verbose=1] [--cpu-prof=1]
 *
 * How the backlog is made: the joins are written with join-12.lua before the service starts,
 * so they wait in the outbox; the service's relay then starts with a full stream. The QUEUE_READY
 * backlog (each message carries an Ed25519-signed admission token, signed by the relay) is
 * made with admission-tick-9.lua on an event the relay does not walk yet, then registered.
 * The QUEUE_JOINED comparison runs in rounds, each a raw send then a drain of a fresh backlog of
 * the same size: the two cores are shared with other tenants, and a raw run minutes before the
 * drain measured another machine. The median round's ratio is reported.
 * Writes bench-results/relay.json; deletes its keys and its consumer group at the end.
 */
import { Logger } from '@nestjs/common';
import { MESSAGE_ID_HEADER, Topics } from '@waitroom/contracts';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type Redis from 'ioredis';
import type { Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { validateEnvironment } from '../apps/waitroom/src/config/environment';
import type { OutgoingRecord } from '../apps/waitroom/src/events/outbox/kafka-publisher';
import { toOutboxRecord } from '../apps/waitroom/src/events/outbox/outbox-messages';
import { useSessionTicketKey } from '../apps/waitroom/src/queue/session-ticket';
import { entryFields } from '../apps/waitroom/src/events/outbox/outbox-entry';
import { AdmissionTokenService } from '../apps/waitroom/src/tokens/admission-token.service';
import {
  CpuMeter,
  benchOptions,
  ensureBuilt,
  fmt,
  kafkaPid,
  log,
  onCleanup,
  printTable,
  putEvent,
  ratio,
  redisPid,
  runBenchmark,
  sleep,
  startService,
  summarize,
  waitForQuiet,
  writeResult,
  type LatencySummary,
  type ServiceProcess,
} from './support/common';
import { serviceProfiler } from './support/cpuprofile-summary';
import { benchKafka, startCollector, waitForIdleServiceGroup } from './support/kafka';
import { JOIN_PATH } from './support/load';
import {
  admissionCall,
  checkDistScriptsMatch,
  eventSettings,
  prefillJoins,
  readOrCreateSessionTicketKey,
  registerEvent,
  script,
  upsertEvent,
  waitForEmptyOutbox,
} from './support/lua';
import { openBenchRun } from './support/run';

const OPTIONS = benchOptions({
  n: 50_000,
  readyN: 20_000,
  /** The service's OUTBOX_BATCH_SIZE default; the baseline sends batches of the same size. */
  batch: 500,
  rounds: 3,
  e2eRate: 500,
  e2eDuration: 10,
  phases: ['baseline', 'drain', 'ready', 'e2e'],
});
const PHASES = new Set(OPTIONS.phases);

// Event ids of equal length, so every message of a kind has the same size.
const JOINED_EVENT = 'relay-joined';
/** One QUEUE_JOINED backlog per round, ids as long as the others. */
const JOINED_EVENTS = Array.from({ length: OPTIONS.rounds }, (_, round) =>
  round === 0 ? JOINED_EVENT : `relay-joind${round}`.slice(0, JOINED_EVENT.length),
);
const READY_EVENT = 'relay-readyy';
const BASELINE_EVENT = 'relay-baseln';
const E2E_EVENT = 'relay-e2e-01';
/** Drained while the service starts, so the measured drain runs warm, like the baseline after its warm-up. */
const WARMUP_EVENT = 'relay-warmup';
/** The baseline's warm-up size, and the warm-up backlog the service drains at start-up. */
const WARMUP_N = 2000;

interface RateResult {
  perSecond: number;
  ms: number;
  batchMs: LatencySummary;
  /** CPU of this process (the producer) per 1,000 messages, bodies prepared beforehand. */
  cpuMsPerThousand: number;
}

/** One QUEUE_JOINED round: the raw producer's send, then the relay's drain of a backlog as large. */
interface JoinedRound {
  raw: RateResult | undefined;
  drain: DrainResult;
  ratio: number | null;
}

interface Baseline {
  joinedMessageBytes?: number;
  joined?: RateResult;
  readyMessageBytes?: number;
  ready?: RateResult;
  signAndBuildUsPerReady?: number;
}

/** All entries of an outbox stream, read in pages. */
async function readOutbox(redis: Redis, key: string): Promise<Record<string, string>[]> {
  const entries: Record<string, string>[] = [];
  let start = '-';
  for (;;) {
    const rows = await redis.xrange(key, start, '+', 'COUNT', 5000);
    for (const [, flat] of rows) entries.push(entryFields(flat));
    if (rows.length < 5000) return entries;
    start = `(${rows[rows.length - 1][0]}`;
  }
}

/** The records the relay would build for these entries (same topic, key, value, header), under another event id. */
function recordsLikeRelay(
  eventId: string,
  entries: Record<string, string>[],
  tokens: AdmissionTokenService,
): ReturnType<typeof toOutboxRecord>[] {
  return entries.map((fields) =>
    toOutboxRecord(eventId, { ...fields, m: fields.m.replace(/^./, 'b') }, tokens),
  );
}

/** The ceiling: a producer configured like the service's (idempotent, acks all), sendBatch after sendBatch. */
async function rawProducerRate(producer: Producer, records: OutgoingRecord[]): Promise<RateResult> {
  const batchMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < records.length; i += OPTIONS.batch) {
    const slice = records.slice(i, i + OPTIONS.batch);
    const batchStarted = performance.now();
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        {
          topic: slice[0].topic,
          messages: slice.map(({ key, value, headers }) => ({ key, value, headers })),
        },
      ],
    });
    batchMs.push(performance.now() - batchStarted);
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: (records.length / ms) * 1000,
    ms,
    batchMs: summarize(batchMs),
    cpuMsPerThousand: (cpu.user + cpu.system) / records.length,
  };
}

interface DrainResult {
  entries: number;
  /** From the first entry gone (the producer connected, one batch acknowledged) to an empty stream. */
  steadyPerSecond: number | null;
  /** From `startedAt` (when the event was registered, so the relay could see it) to an empty stream. */
  overallPerSecond: number | null;
  firstBatchAfterMs: number | null;
  totalMs: number | null;
  cpuMsPerThousand: Record<string, number | null>;
  otherCoreShare: number | null;
}

/**
 * Polls XLEN until the stream is empty; timing starts at `startedAt` (performance.now()).
 * CPU is taken over the steady part only: from when the first entry is gone to empty.
 */
async function watchDrain(
  redis: Redis,
  outboxKey: string,
  startedAt: number,
  pids: Record<string, number | null | undefined>,
  timeoutMs = 300_000,
): Promise<DrainResult> {
  const entries = await redis.xlen(outboxKey);
  let meter: CpuMeter | undefined;
  let lengthAtMeter = 0;
  let firstAt: number | null = null;
  let lengthAtFirst = entries;
  let emptyAt: number | null = null;
  while (performance.now() - startedAt < timeoutMs) {
    const length = await redis.xlen(outboxKey);
    const now = performance.now();
    if (firstAt === null && length < entries) {
      firstAt = now;
      lengthAtFirst = length;
    }
    if (firstAt !== null && !meter) {
      meter = new CpuMeter(pids);
      lengthAtMeter = length;
    }
    if (length === 0) {
      emptyAt = now;
      break;
    }
    await sleep(10);
  }
  const cpu = meter?.stop();
  const cpuMsPerThousand: Record<string, number | null> = {};
  for (const [name, ms] of Object.entries(cpu?.cpuMs ?? {})) {
    if (name !== 'other')
      cpuMsPerThousand[name] = ms === null || lengthAtMeter === 0 ? null : (ms * 1000) / lengthAtMeter;
  }
  return {
    entries,
    steadyPerSecond:
      firstAt !== null && emptyAt !== null && emptyAt > firstAt
        ? (lengthAtFirst / (emptyAt - firstAt)) * 1000
        : null,
    overallPerSecond: emptyAt !== null ? (entries / (emptyAt - startedAt)) * 1000 : null,
    firstBatchAfterMs: firstAt === null ? null : firstAt - startedAt,
    totalMs: emptyAt === null ? null : emptyAt - startedAt,
    cpuMsPerThousand,
    otherCoreShare: cpu?.otherCoreShare ?? null,
  };
}

/** Joins through HTTP at a steady rate (not in bursts), keep-alive, bounded concurrency. */
async function pacedJoins(
  baseUrl: string,
  eventId: string,
  rate: number,
  seconds: number,
  userPrefix: string,
  onResponse: (sessionId: string, sentAt: number, respondedAt: number) => void,
): Promise<{ sent: number; ok: number; failed: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(JOIN_PATH, baseUrl);
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const one = (n: number) =>
    new Promise<void>((done) => {
      const body = `{"user_id":"${userPrefix}${n}","event_id":"${eventId}"}`;
      const sentAt = performance.now();
      inFlight++;
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const respondedAt = performance.now();
            inFlight--;
            if (response.statusCode === 201) {
              ok++;
              onResponse(
                (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { session_id: string }).session_id,
                sentAt,
                respondedAt,
              );
            } else failed++;
            done();
          });
        },
      );
      req.on('error', () => {
        inFlight--;
        failed++;
        done();
      });
      req.end(body);
    });
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    while (sent < due && inFlight < 256) pending.push(one(sent++));
    await sleep(2);
  }
  await Promise.all(pending);
  agent.destroy();
  return { sent, ok, failed };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const run = await openBenchRun('br', OPTIONS);
  const { redis, facts, prefix, keys, scripts } = run;
  // The service signs session tickets with the key kept in Redis under this prefix (created by
  // whoever comes first): the baseline's records must carry the same session ids, so the same
  // bytes, as the relay's.
  useSessionTicketKey(await readOrCreateSessionTicketKey(redis, keys));
  const build = ensureBuilt();
  checkDistScriptsMatch(['join', 'admission-tick']);
  const profiler = serviceProfiler(prefix);
  const joinScript = script(scripts, 'join');
  const admission = script(scripts, 'admission-tick');
  const output: Record<string, unknown> = { facts: { ...facts, build }, options: OPTIONS, prefix };
  const pidOfRedis = await redisPid(redis);

  // A token service like the relay's (a generated Ed25519 key), for same-size QUEUE_READY bodies.
  const tokens = new AdmissionTokenService(validateEnvironment({ NODE_ENV: 'development' }));
  await tokens.onModuleInit();

  // ---- the backlogs, written before the service exists
  const joinedKeys = keys.forEvent(JOINED_EVENT);
  const readyKeys = keys.forEvent(READY_EVENT);
  if (PHASES.has('drain') || PHASES.has('baseline')) {
    // Not registered yet: the relay must not see them until their round (phase 2).
    for (const eventId of PHASES.has('drain') ? JOINED_EVENTS : [JOINED_EVENT]) {
      await upsertEvent(run, eventId, eventSettings(), false);
      log(`writing ${OPTIONS.n} joins into the outbox of ${eventId} (join-12.lua)`);
      await prefillJoins(redis, joinScript, keys.forEvent(eventId), OPTIONS.n, {
        userPrefix: 'user-',
        firstIndex: 10_000_000,
      });
    }
    await upsertEvent(run, WARMUP_EVENT, eventSettings(), true);
    await prefillJoins(redis, joinScript, keys.forEvent(WARMUP_EVENT), WARMUP_N, {
      userPrefix: 'user-',
      firstIndex: 10_000_000,
    });
  }
  if (PHASES.has('ready')) {
    // Not registered yet: the relay must not see it until its turn.
    await upsertEvent(run, READY_EVENT, eventSettings({ state: 'open' }), false);
    log(
      `writing ${OPTIONS.readyN} admissions (QUEUE_READY) into the outbox of ${READY_EVENT} (join-12.lua, then admission-tick-9.lua)`,
    );
    await prefillJoins(redis, joinScript, readyKeys, OPTIONS.readyN, {
      userPrefix: 'user-',
      firstIndex: 10_000_000,
      dropOutbox: true,
    });
    while ((await redis.zcard(readyKeys.queue)) > 0)
      await redis.evalsha(admission.sha, admission.numberOfKeys, ...admissionCall(readyKeys, 1000));
    log(`${await redis.xlen(readyKeys.outbox)} QUEUE_READY entries waiting`);
  }

  // ---- (1) the ceiling: a raw producer, same number of same-size messages, same batch size
  /** The QUEUE_JOINED records the raw producer sends in each round, and the producer. */
  let rawJoined: { producer: Producer; records: OutgoingRecord[] } | undefined;
  if (PHASES.has('baseline')) {
    const producer = benchKafka('waitroom-bench-producer').producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    onCleanup(() => producer.disconnect());
    const baseline: Baseline = {};
    const joinedRecords = recordsLikeRelay(
      BASELINE_EVENT,
      await readOutbox(redis, joinedKeys.outbox),
      tokens,
    );
    baseline.joinedMessageBytes = joinedRecords[0]?.value.length;
    await rawProducerRate(producer, joinedRecords.slice(0, Math.min(WARMUP_N, joinedRecords.length))); // warm-up: metadata, connections
    await waitForQuiet('baseline QUEUE_JOINED');
    rawJoined = { producer, records: joinedRecords };
    baseline.joined = await rawProducerRate(producer, joinedRecords);
    log(
      `baseline: raw producer, ${joinedRecords.length} QUEUE_JOINED of ${baseline.joinedMessageBytes ?? 0} B: ${fmt(baseline.joined.perSecond, 0)} msg/s`,
    );
    if (PHASES.has('ready')) {
      const readyEntries = await readOutbox(redis, readyKeys.outbox);
      const signStarted = performance.now();
      const readyRecords = recordsLikeRelay(BASELINE_EVENT, readyEntries, tokens);
      baseline.signAndBuildUsPerReady =
        ((performance.now() - signStarted) * 1000) / Math.max(1, readyRecords.length);
      baseline.readyMessageBytes = readyRecords[0]?.value.length;
      await waitForQuiet('baseline QUEUE_READY');
      baseline.ready = await rawProducerRate(producer, readyRecords);
      log(
        `baseline: raw producer, ${readyRecords.length} QUEUE_READY of ${baseline.readyMessageBytes ?? 0} B: ${fmt(baseline.ready.perSecond, 0)} msg/s ` +
          `(building them, token signing included, took ${fmt(baseline.signAndBuildUsPerReady, 1)} µs each in this process)`,
      );
    }
    output.baseline = baseline;
  }

  // ---- (2) the service's relay draining a backlog handed to it once it runs (warm: it drained
  // the warm-up event's backlog while starting, as the baseline sent its warm-up first)
  let svc: ServiceProcess | undefined;
  const ensureService = async (): Promise<ServiceProcess> => {
    if (svc) return svc;
    output.consumerGroup = await waitForIdleServiceGroup();
    await waitForQuiet('service start');
    log('starting the service');
    const spawnedAt = performance.now();
    const started = await startService(prefix, {}, profiler.nodeArgs);
    svc = started;
    output.serviceStartMs = performance.now() - spawnedAt;
    return started;
  };
  /** Registers an event whose backlog waits, so the running relay finds it, and watches it drain. */
  const drainOnceRegistered = async (eventId: string, label: string): Promise<DrainResult> => {
    const service = await ensureService();
    await waitForQuiet(label);
    const pids = { service: service.child.pid, redis: pidOfRedis, kafka: kafkaPid() };
    const registeredAt = performance.now();
    await registerEvent(redis, keys, eventId);
    return watchDrain(redis, keys.forEvent(eventId).outbox, registeredAt, pids);
  };
  if (PHASES.has('drain')) {
    await ensureService();
    const warmup = await waitForEmptyOutbox(redis, keys.forEvent(WARMUP_EVENT).outbox, 60_000);
    if (warmup.drainMs === null) throw new Error('the service did not drain the warm-up backlog within 60 s');
    const rounds: JoinedRound[] = [];
    for (const [round, eventId] of JOINED_EVENTS.entries()) {
      // Round 0's raw run is the baseline phase's; later rounds send again right before their drain.
      let raw = (output.baseline as Baseline | undefined)?.joined;
      if (round > 0 && rawJoined) {
        await waitForQuiet(`baseline QUEUE_JOINED, round ${round + 1}`);
        raw = await rawProducerRate(rawJoined.producer, rawJoined.records);
        log(`baseline, round ${round + 1}: ${fmt(raw.perSecond, 0)} msg/s`);
      }
      const drain = await drainOnceRegistered(eventId, `relay QUEUE_JOINED, round ${round + 1}`);
      log(
        `relay, round ${round + 1}: ${drain.entries} QUEUE_JOINED drained; steady ${fmt(drain.steadyPerSecond, 0)} msg/s ` +
          `(first batch acknowledged ${fmt(drain.firstBatchAfterMs, 0)} ms after the event was registered, empty after ${fmt(drain.totalMs, 0)} ms)`,
      );
      rounds.push({ raw, drain, ratio: ratio(drain.steadyPerSecond, raw?.perSecond) });
    }
    output.joinedRounds = rounds;
    // The median round stands for the run: its drain and the raw run beside it.
    const median = [...rounds].sort((a, b) => (a.ratio ?? 0) - (b.ratio ?? 0))[Math.floor(rounds.length / 2)];
    output.drainJoined = median.drain;
    if (median.raw) (output.baseline as Baseline).joined = median.raw;
  }
  if (PHASES.has('ready')) {
    const drain = await drainOnceRegistered(READY_EVENT, 'relay QUEUE_READY');
    output.drainReady = drain;
    log(
      `relay: ${drain.entries} QUEUE_READY drained (token signed per message); steady ${fmt(drain.steadyPerSecond, 0)} msg/s`,
    );
  }

  // ---- (3) end to end: HTTP join response -> QUEUE_JOINED at an independent consumer
  if (PHASES.has('e2e')) {
    const service = await ensureService();
    await putEvent(service.baseUrl, E2E_EVENT, { capacity: 10_000_000, state: 'paused' });
    const groupId = `waitroom-bench-${randomBytes(4).toString('hex')}`;
    const responded = new Map<string, { sentAt: number; respondedAt: number }>();
    const received = new Map<string, number>();
    let template: Record<string, unknown> | undefined;
    const consumer = await startCollector(
      groupId,
      Topics.QUEUE_JOINED,
      E2E_EVENT,
      (body: { session_id: string }, at) => {
        template ??= body;
        if (!received.has(body.session_id)) received.set(body.session_id, at);
      },
    );
    onCleanup(async () => {
      await consumer.disconnect();
      const admin = benchKafka('waitroom-bench-admin').admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    });
    // Warm-up until the collector sees our messages (its offsets are in place).
    log(`e2e: warm-up at ${OPTIONS.e2eRate} joins/s until the collector receives`);
    for (let round = 0; round < 20 && received.size === 0; round++) {
      await pacedJoins(service.baseUrl, E2E_EVENT, OPTIONS.e2eRate, 1, `warm${round}-`, () => undefined);
      await sleep(500);
    }
    if (received.size === 0) throw new Error('the collector received nothing during the warm-up');
    await sleep(1000);
    await waitForQuiet('e2e');
    log(`e2e: ${OPTIONS.e2eRate} joins/s for ${OPTIONS.e2eDuration} s`);
    const meter = new CpuMeter({ service: service.child.pid, redis: pidOfRedis, kafka: kafkaPid() });
    const load = await pacedJoins(
      service.baseUrl,
      E2E_EVENT,
      OPTIONS.e2eRate,
      OPTIONS.e2eDuration,
      'e2e-',
      (sessionId, sentAt, respondedAt) => {
        responded.set(sessionId, { sentAt, respondedAt });
      },
    );
    const cpu = meter.stop();
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && [...responded.keys()].some((id) => !received.has(id)))
      await sleep(100);
    const fromResponse: number[] = [];
    const fromRequest: number[] = [];
    let missing = 0;
    for (const [sessionId, times] of responded) {
      const at = received.get(sessionId);
      if (at === undefined) {
        missing++;
        continue;
      }
      fromResponse.push(at - times.respondedAt);
      fromRequest.push(at - times.sentAt);
    }
    const e2e = {
      load,
      missing,
      fromResponseMs: summarize(fromResponse),
      fromRequestMs: summarize(fromRequest),
      httpMs: summarize([...responded.values()].map((times) => times.respondedAt - times.sentAt)),
      cpuMsPerSecond: Object.fromEntries(
        Object.entries(cpu.cpuMs).map(([name, ms]) => [name, ms === null ? null : (ms / cpu.wallMs) * 1000]),
      ),
      otherCoreShare: cpu.otherCoreShare,
    };
    output.e2e = e2e;
    log(
      `e2e: p50 ${fmt(e2e.fromResponseMs.p50)} ms, p99 ${fmt(e2e.fromResponseMs.p99)} ms from HTTP response to the collector (${missing} missing)`,
    );

    // Baseline of the latency: the same rate of single sends straight to the broker, to the same collector.
    const producer = benchKafka('waitroom-bench-e2e-producer').producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    onCleanup(() => producer.disconnect());
    const rawSent = new Map<string, number>();
    if (template) {
      await waitForQuiet('e2e baseline');
      const total = Math.round(OPTIONS.e2eRate * OPTIONS.e2eDuration);
      const started = performance.now();
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        const due = started + (i / OPTIONS.e2eRate) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        // Same shape and size as the relay's message: same session id format, a fresh UUID.
        const sessionId = `${E2E_EVENT}~${randomBytes(16).toString('base64url')}`;
        const messageId = randomUUID();
        const body = JSON.stringify({ ...template, session_id: sessionId, message_id: messageId });
        rawSent.set(sessionId, performance.now());
        sends.push(
          producer.send({
            topic: Topics.QUEUE_JOINED,
            acks: -1,
            messages: [{ key: E2E_EVENT, value: body, headers: { [MESSAGE_ID_HEADER]: messageId } }],
          }),
        );
      }
      await Promise.all(sends);
      const rawDeadline = performance.now() + 30_000;
      while (performance.now() < rawDeadline && [...rawSent.keys()].some((id) => !received.has(id)))
        await sleep(100);
      const rawLatency = [...rawSent]
        .filter(([id]) => received.has(id))
        .map(([id, at]) => received.get(id)! - at);
      output.e2eBaseline = {
        sent: rawSent.size,
        received: rawLatency.length,
        sendToReceiveMs: summarize(rawLatency),
      };
      log(
        `e2e baseline: producer.send -> collector p50 ${fmt(summarize(rawLatency).p50)} ms, p99 ${fmt(summarize(rawLatency).p99)} ms`,
      );
    }
  }
  if (svc) await svc.stop();
  output.serviceCpuProfile = profiler.report(log);

  report(output);
  log(`wrote ${writeResult('relay', output)}`);
}

function report(output: Record<string, any>): void {
  const ratios: Record<string, number | null> = {};
  const rows: (string | number)[][] = [];
  const baseline = output.baseline as Baseline | undefined;
  const drainRow = (
    label: string,
    drain: DrainResult | undefined,
    raw: RateResult | undefined,
    bytes: number | undefined,
  ) => {
    const ceiling = raw?.perSecond;
    if (!drain) return;
    rows.push([
      label,
      drain.entries,
      bytes ?? '-',
      fmt(drain.steadyPerSecond, 0),
      fmt(drain.overallPerSecond, 0),
      fmt(ceiling ?? null, 0),
      fmt(ratio(drain.steadyPerSecond, ceiling), 2),
      fmt(drain.cpuMsPerThousand.service ?? null, 0),
      fmt(drain.cpuMsPerThousand.redis ?? null, 0),
      fmt(drain.cpuMsPerThousand.kafka ?? null, 0),
      fmt(raw?.cpuMsPerThousand ?? null, 0),
    ]);
  };
  drainRow('QUEUE_JOINED backlog', output.drainJoined, baseline?.joined, baseline?.joinedMessageBytes);
  drainRow(
    'QUEUE_READY backlog (token signed by relay)',
    output.drainReady,
    baseline?.ready,
    baseline?.readyMessageBytes,
  );
  if (!output.drainJoined && baseline?.joined) {
    rows.push([
      'raw producer only',
      '-',
      baseline.joinedMessageBytes ?? '-',
      '-',
      '-',
      fmt(baseline.joined.perSecond, 0),
      '-',
      '-',
      '-',
      '-',
      fmt(baseline.joined.cpuMsPerThousand, 0),
    ]);
  }
  printTable(
    `Outbox -> Kafka (msg/s; relay batches of ${OPTIONS.batch}; CPU ms per 1,000 messages)`,
    [
      'backlog',
      'messages',
      'bytes',
      'relay steady',
      'relay from registration',
      'raw sendBatch',
      'relay / raw',
      'CPU service',
      'CPU redis',
      'CPU kafka',
      'CPU raw producer',
    ],
    rows,
  );
  const rounds = (output.joinedRounds ?? []) as JoinedRound[];
  if (rounds.length > 1)
    printTable(
      'QUEUE_JOINED rounds (msg/s; the median round is the one above)',
      ['round', 'raw sendBatch', 'relay steady', 'relay / raw'],
      rounds.map((round, index) => [
        index + 1,
        fmt(round.raw?.perSecond ?? null, 0),
        fmt(round.drain.steadyPerSecond, 0),
        fmt(round.ratio, 2),
      ]),
    );
  ratios.relayOverRawJoined = ratio(output.drainJoined?.steadyPerSecond, baseline?.joined?.perSecond);
  ratios.relayOverRawReady = ratio(output.drainReady?.steadyPerSecond, baseline?.ready?.perSecond);
  if (output.e2e) {
    const e2e = output.e2e as {
      fromResponseMs: LatencySummary;
      fromRequestMs: LatencySummary;
      httpMs: LatencySummary;
      load: { ok: number };
      missing: number;
    };
    const raw = output.e2eBaseline as { sendToReceiveMs: LatencySummary } | undefined;
    printTable(
      `End to end at ${OPTIONS.e2eRate} joins/s for ${OPTIONS.e2eDuration} s (ms)`,
      ['path', 'samples', 'p50', 'p90', 'p99', 'max'],
      [
        latencyRow('join HTTP response -> QUEUE_JOINED at consumer', e2e.fromResponseMs),
        latencyRow('join HTTP request -> QUEUE_JOINED at consumer', e2e.fromRequestMs),
        latencyRow('(join HTTP round trip)', e2e.httpMs),
        ...(raw ? [latencyRow('baseline: producer.send -> consumer', raw.sendToReceiveMs)] : []),
      ],
    );
    ratios.e2eP50OverRawP50 = ratio(e2e.fromResponseMs.p50, raw?.sendToReceiveMs.p50);
    ratios.e2eP99OverRawP99 = ratio(e2e.fromResponseMs.p99, raw?.sendToReceiveMs.p99);
  }
  output.ratios = ratios;
  console.log(
    `\nratios: ${JSON.stringify(ratios, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value))}`,
  );
}

runBenchmark(main);

/** One row of the end-to-end latency table: samples, p50, p90, p99, max (ms). */
function latencyRow(label: string, latency: LatencySummary): (string | number)[] {
  return [label, latency.count, fmt(latency.p50), fmt(latency.p90), fmt(latency.p99), fmt(latency.max)];
}
