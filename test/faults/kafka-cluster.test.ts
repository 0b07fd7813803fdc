import { Topics } from '@waitroom/contracts';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { eventually, startApp, type RunningApp } from '../support/app-harness';
import { paced } from '../support/pacing';

/**
 * Issue 12, proof: "the event tests on a 3-broker Kafka cluster (replication factor 3,
 * min.insync.replicas=2) with one broker killed mid-run and nothing lost".
 *
 * The test starts its own cluster (scripts/kafka-cluster.sh: 3 KRaft nodes from the dev stack's
 * Maven jars, on 127.0.0.1:9291-9293, in a folder of its own; the shared broker on 9092 is never
 * touched), creates the contract's topics there with rf 3 and min.insync.replicas 2, and runs the
 * real application (in this process) with KAFKA_BROKERS pointing at it. While it takes a steady
 * stream of joins, the node that leads the event's QUEUE_JOINED partition is SIGKILLed (a crash:
 * no flush, no controlled shutdown) and started again. Then:
 * - every join was acknowledged (201), none refused;
 * - every acknowledged join's QUEUE_JOINED is in the cluster's log at least once, all copies of a
 *   session under one message_id, read back from the log with a fresh consumer;
 * - while the node was dead, the partition moved to another leader and the relay caught up on the
 *   two replicas left (min.insync.replicas 2 is met), before the node came back; then the node
 *   rejoined the partition's ISR.
 * The cluster is stopped and its folder deleted afterwards, whatever happened (its nodes' logs are
 * kept in test-results/kafka-cluster-logs/).
 */
const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const CLUSTER_DIR = join(ROOT, '.stack', 'kafka-cluster-drill');

/** The joins, paced evenly (paced()): this many, over this window, this many at a time. */
const JOINS = { count: 1200, windowMs: 20000, concurrency: 8 };
/** When, from the first join, the partition leader is killed. */
const KILL_AFTER_MS = 4000;
/**
 * How long it stays dead: at least MIN_DEAD_MS, and on until the relay has caught up on the two
 * nodes left (the claim under test), but never past MAX_DEAD_MS. Fencing the node takes the
 * cluster's broker session timeout and more on a loaded box, so a fixed dead time would test the
 * machine's speed rather than the relay.
 */
const MIN_DEAD_MS = 12000;
const MAX_DEAD_MS = 45000;
/** An outbox backlog this small counts as caught up (joins keep arriving while it is read). */
const CAUGHT_UP_BACKLOG = 10;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run(join(ROOT, 'scripts', 'kafka-cluster.sh'), args, {
    cwd: ROOT,
    timeout: 120000,
    env: { ...process.env, WAITROOM_KAFKA_CLUSTER_DIR: CLUSTER_DIR, STACK_MODE: 'jar' },
  });
  return stdout.trim();
}

interface Joined {
  messageId: string;
  sessionId: string;
  eventId: string;
  partition: number;
}

/** Every QUEUE_JOINED in the cluster's log, from the beginning to where each partition ends now. */
async function readAll(kafka: Kafka, admin: Admin): Promise<Joined[]> {
  const ends = await admin.fetchTopicOffsets(Topics.QUEUE_JOINED);
  const expected = ends.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
  const messages: Joined[] = [];
  if (expected === 0) return messages;
  const consumer = kafka.consumer({ groupId: `drill-reader-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [Topics.QUEUE_JOINED], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const body = JSON.parse(message.value!.toString('utf8'));
        expect(message.headers?.message_id?.toString()).toBe(body.message_id);
        expect(message.key?.toString()).toBe(body.event_id);
        messages.push({
          messageId: body.message_id,
          sessionId: body.session_id,
          eventId: body.event_id,
          partition,
        });
        if (messages.length >= expected) done();
      },
    });
    await Promise.race([
      finished,
      sleep(60000).then(() => {
        throw new Error(`read ${messages.length} of ${expected} QUEUE_JOINED in 60 s`);
      }),
    ]);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

describe('3-broker Kafka cluster (rf 3, min.insync.replicas 2): a node SIGKILLed under joins', () => {
  const timings: Record<string, number> = {};
  let brokers = '';
  let app: RunningApp | undefined;
  let kafka: Kafka;
  let admin: Admin | undefined;

  beforeAll(async () => {
    let t = Date.now();
    // Leftovers of an interrupted run (its own folder only; never the dev stack's broker).
    await cluster('purge');
    await cluster('up');
    timings.clusterUp = Date.now() - t;
    t = Date.now();
    await cluster('topics');
    timings.topics = Date.now() - t;
    brokers = await cluster('brokers');
    kafka = new Kafka({
      clientId: 'kafka-cluster-drill',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200 },
    });
    admin = kafka.admin();
    await admin.connect();
    t = Date.now();
    app = await startApp({ env: { KAFKA_BROKERS: brokers } });
    timings.appStart = Date.now() - t;
  }, 150000);

  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await app?.close();
    // The nodes' logs outlive the cluster (test-results/ is git-ignored), for a failure's diagnosis.
    const logs = join(ROOT, 'test-results', 'kafka-cluster-logs');
    rmSync(logs, { recursive: true, force: true });
    if (existsSync(join(CLUSTER_DIR, 'logs'))) cpSync(join(CLUSTER_DIR, 'logs'), logs, { recursive: true });
    const t = Date.now();
    await cluster('purge');
    timings.clusterDown = Date.now() - t;
    console.log(
      `[kafka-cluster] cluster up ${seconds(timings.clusterUp)}, topics ${seconds(timings.topics)}, ` +
        `app start ${seconds(timings.appStart)}, stop and purge ${seconds(timings.clusterDown)}`,
    );
  }, 120000);

  it('acknowledges every join and has each one on QUEUE_JOINED afterwards, one message_id per session', async () => {
    const svc = app!;
    // The topics are what the drill claims: 3 replicas each, writes need 2 in sync.
    const metadata = await admin!.fetchTopicMetadata({ topics: [Topics.QUEUE_JOINED] });
    const partitions = metadata.topics[0].partitions;
    expect(partitions).toHaveLength(5);
    for (const p of partitions) expect(p.replicas).toHaveLength(3);
    const configs = await admin!.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2 /* TOPIC */, name: Topics.QUEUE_JOINED, configNames: ['min.insync.replicas'] }],
    });
    expect(configs.resources[0].configEntries[0]).toMatchObject({ configValue: '2' });

    const eventId = await svc.http.createEvent('kcluster', { capacity: 10, state: 'paused' });
    const acknowledged: string[] = [];
    const refused: string[] = [];
    const startedAt = Date.now();
    const join = async (i: number): Promise<void> => {
      const response = await svc.http.join(`kc-${i}`, eventId);
      if (response.status === 201) acknowledged.push(response.body.session_id);
      else refused.push(`${i}: ${response.status} ${JSON.stringify(response.body)}`);
    };

    // The outbox backlog and the producer, as readiness reports them, for the report.
    let probing = true;
    const backlog: { at: number; size: number }[] = [];
    let producerDown = 0;
    const probe = (async () => {
      while (probing) {
        const ready = await svc.http.get('/health/ready').catch(() => undefined);
        const kafkaDetails = ready?.body?.details?.kafka;
        if (typeof kafkaDetails?.outbox_backlog === 'number')
          backlog.push({ at: Date.now(), size: kafkaDetails.outbox_backlog });
        if (kafkaDetails?.producer_connected === false) producerDown++;
        await sleep(250);
      }
    })();

    // Kill the node that leads the partition this event's messages go to (key = event_id).
    const outage = (async () => {
      await sleep(KILL_AFTER_MS);
      const offsets = await admin!.fetchTopicOffsets(Topics.QUEUE_JOINED);
      const used = offsets.filter((o) => Number(o.high) > 0).map((o) => o.partition);
      expect(used).toHaveLength(1);
      const partition = used[0];
      const before = await admin!.fetchTopicMetadata({ topics: [Topics.QUEUE_JOINED] });
      const leader = before.topics[0].partitions.find((p) => p.partitionId === partition)!.leader;
      const killedAt = Date.now();
      await cluster('kill', String(leader));
      // The controller fences the dead node (broker.session.timeout.ms) and moves the leadership.
      const moved = await eventually(
        async () =>
          (await admin!.fetchTopicMetadata({ topics: [Topics.QUEUE_JOINED] })).topics[0].partitions.find(
            (p) => p.partitionId === partition,
          )!,
        (p) => p.leader >= 0 && p.leader !== leader,
        MAX_DEAD_MS,
        250,
      );
      const movedAt = Date.now();
      const caughtUpSince = (since: number) =>
        backlog.some((b) => b.at > since && b.size <= CAUGHT_UP_BACKLOG);
      while (
        Date.now() < killedAt + MAX_DEAD_MS &&
        !(Date.now() >= killedAt + MIN_DEAD_MS && caughtUpSince(movedAt))
      )
        await sleep(250);
      const restartAt = Date.now();
      await cluster('start', String(leader));
      return { partition, leader, killedAt, moved, movedAt, restartAt, backAt: Date.now() };
    })();

    await paced({ ...JOINS, startedAt }, join);
    const joinsEndedAt = Date.now();
    const { partition, leader, killedAt, moved, movedAt, restartAt, backAt } = await outage;

    expect(refused).toEqual([]);
    expect(acknowledged).toHaveLength(JOINS.count);

    // The relay publishes everything: the outbox drains with the restarted node back.
    await eventually(
      () => svc.http.get('/health/ready'),
      (r) => r.status === 200 && r.body?.details?.kafka?.outbox_backlog === 0,
      60000,
      250,
    );
    const drainedAt = Date.now();
    probing = false;
    await probe;
    // The relay stalled while the partition had no leader, then caught up on the two nodes left,
    // before the dead one was started again.
    const whileDead = backlog.filter((b) => b.at >= killedAt && b.at < restartAt);
    const peak = whileDead.reduce((max, b) => (b.size > max.size ? b : max), { at: killedAt, size: 0 });
    const caughtUp = whileDead.find((b) => b.at > peak.at && b.size <= CAUGHT_UP_BACKLOG);
    const at = (t: number) => `+${seconds(t - startedAt)}`;
    // The outage's timeline first, so that a failure below shows where it went wrong.
    console.log(
      `[kafka-cluster] node ${leader} (leader of QUEUE_JOINED/${partition}) SIGKILLed at ${at(killedAt)}; ` +
        `leader moved to node ${moved.leader} (ISR [${moved.isr.join(',')}]) at ${at(movedAt)}; outbox backlog ` +
        `peaked at ${peak.size} (${at(peak.at)}) and was back to ${caughtUp?.size} at ` +
        `${caughtUp ? at(caughtUp.at) : '-'}; node restarted at ${at(restartAt)}, serving at ${at(backAt)}; ` +
        `backlog 0 seen at ${at(drainedAt)} (producer reported disconnected in ${producerDown} probes of 250 ms)`,
    );
    expect(moved.isr).not.toContain(leader);
    expect(moved.isr.length).toBeGreaterThanOrEqual(2);
    expect({ caughtUpBeforeRestart: caughtUp !== undefined, peak: peak.size }).toMatchObject({
      caughtUpBeforeRestart: true,
    });

    // Leadership moved while the node was dead, and the node is back in the partition's ISR.
    const isr = await eventually(
      async () =>
        (await admin!.fetchTopicMetadata({ topics: [Topics.QUEUE_JOINED] })).topics[0].partitions.find(
          (p) => p.partitionId === partition,
        )!,
      (p) => p.isr.length === 3,
      60000,
      250,
    );
    const isrBackAt = Date.now();

    const received = (await readAll(kafka, admin!)).filter((m) => m.eventId === eventId);
    const bySession = new Map<string, Set<string>>();
    for (const m of received) {
      const ids = bySession.get(m.sessionId) ?? new Set<string>();
      ids.add(m.messageId);
      bySession.set(m.sessionId, ids);
    }
    const missing = acknowledged.filter((id) => !bySession.has(id));
    expect({ missing: missing.length, examples: missing.slice(0, 3) }).toEqual({ missing: 0, examples: [] });
    expect([...bySession].filter(([, ids]) => ids.size > 1).map(([id]) => id)).toEqual([]);
    const acknowledgedIds = new Set(acknowledged);
    expect([...bySession.keys()].filter((id) => !acknowledgedIds.has(id))).toEqual([]);
    expect(new Set(received.map((m) => m.partition))).toEqual(new Set([partition]));

    console.log(
      `[kafka-cluster] ${JOINS.count} joins over ${seconds(joinsEndedAt - startedAt)} at concurrency ${JOINS.concurrency}: ` +
        `acknowledged ${acknowledged.length}, refused ${refused.length}; ISR [${isr.isr.join(',')}] complete at ` +
        `${at(isrBackAt)}; QUEUE_JOINED read back ` +
        `${received.length} for ${bySession.size} sessions (same message_id again ${received.length - bySession.size}, ` +
        `missing ${missing.length})`,
    );
  }, 210000);
});
