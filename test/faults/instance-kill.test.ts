import { Topics } from '@waitroom/contracts';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportPKCS8, generateKeyPair } from 'jose';
import { RedisKeys } from '../../apps/waitroom/src/redis/redis-keys';
import { deleteKeys, eventually, type HttpResponse } from '../support/app-harness';
import { TopicCollector, type CollectedMessage } from '../support/kafka';
import { ServiceProcess } from '../support/service-process';
import { TEST_REDIS_URL, uniquePrefix } from '../support/test-env';

/**
 * Issue 10, proof: "a service instance SIGKILLed mid-admission → no slot leaked beyond its expiry,
 * no double admission".
 *
 * Three processes of the built service share one Redis key prefix and run one event (capacity 5,
 * 10 s checkout window, a paced admission rate) with a few hundred people queued. Admitted people
 * mostly leave within a fraction of a second (DELETE, which frees the slot; the checkout consumer
 * is not used), every twelfth is never completed and must expire. Meanwhile one instance after
 * another is SIGKILLed — each time a few milliseconds after a slot was freed, so that its
 * scheduler is likely inside an admission step and its relay inside a send — and started again.
 * Then a last phase lets every admitted session expire, with kills going on.
 *
 * How a broken property would show:
 * - Over capacity: the active set is sampled in Redis every ~10 ms and /stats on a live instance
 *   every ~25 ms, but a short overshoot could fall between samples; so the whole history is also
 *   rebuilt from Kafka, which carries every admission (QUEUE_READY.admitted_at) and every end of a
 *   ready session (QUEUE_LEFT.left_at), both stamped by Redis's clock inside the script that made
 *   the change. The number of sessions admitted and not yet ended at the end of every millisecond
 *   in which something happened is a state Redis really was in: any moment above capacity is
 *   caught, not just sampled ones.
 * - Double admission: the admission step gives every QUEUE_READY a fresh message_id, so a session
 *   admitted twice (re-queued after a crash, or a slot granted by two schedulers) has two
 *   QUEUE_READY messages with different message_ids. A relay that dies after a send and before
 *   trimming its outbox republishes the same entry with the same message_id: that is the
 *   contract's at-least-once, counted and allowed. Also admitted_total must equal the number of
 *   distinct admitted sessions.
 * - A leaked slot: every session nobody completes must end `expired` within a few ticks of its
 *   expires_at (no later than SLACK_MS), the queue behind it must move on within a second or two,
 *   and at the end active_count is 0 with nobody left `ready`.
 */
const CAPACITY = 5;
const CHECKOUT_TIMEOUT_SECONDS = 10;
const RATE_PER_MINUTE = 360;
const JOINS = 400;
const CHURN_MS = 40000;
/** Every n-th admitted session is never completed during the churn: its window must expire. */
const EXPIRE_EVERY = 12;
/** An expiry may come up to this late (the step runs every 50 ms on each live instance). */
const SLACK_MS = 3000;
/** After an expiry with people waiting, the next admission comes within this. */
const NEXT_ADMISSION_MS = 2000;
const INSTANCES = 3;

const between = (min: number, max: number) => min + Math.random() * (max - min);
const ms = (iso: string) => Date.parse(iso);

describe('service instances SIGKILLed mid-admission', () => {
  const prefix = uniquePrefix('ikill');
  const eventId = `ikill-${Date.now()}`;
  const activeKey = new RedisKeys(prefix).forEvent(eventId).active;
  const redis = new Redis(TEST_REDIS_URL);
  let instances: ServiceProcess[] = [];
  /** Indexes of instances killed and not yet ready again. */
  const down = new Set<number>();
  let collector: TopicCollector;

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const signingKey = await exportPKCS8(privateKey);
    instances = Array.from({ length: INSTANCES }, () =>
      ServiceProcess.onStack(prefix, {
        ADMISSION_TOKEN_PRIVATE_KEY: signingKey,
        ADMISSION_TICK_MS: '50',
        OUTBOX_RELAY_INTERVAL_MS: '20',
      }),
    );
    await Promise.all(instances.map((instance) => instance.start()));
    collector = await TopicCollector.start([Topics.QUEUE_READY, Topics.QUEUE_LEFT]);
  }, 120000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await collector?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  /** A call on a live instance; a refused connection (a killed process) is tried on the next one. */
  let turn = 0;
  async function onLive<T>(call: (instance: ServiceProcess) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 30; attempt++) {
      const index = turn++ % INSTANCES;
      if (down.has(index)) continue;
      try {
        return await call(instances[index]);
      } catch (error) {
        lastError = error;
        await sleep(20);
      }
    }
    throw new Error(`no live instance answered: ${String(lastError)}`);
  }

  const upsert = (state: 'open' | 'paused') =>
    onLive((instance) =>
      instance.http.upsertEvent(eventId, {
        capacity: CAPACITY,
        checkout_timeout_seconds: CHECKOUT_TIMEOUT_SECONDS,
        admission_rate_per_minute: RATE_PER_MINUTE,
        state,
      }),
    );
  const leave = async (sessionId: string): Promise<HttpResponse> => {
    const response = await onLive((instance) => instance.http.leave(sessionId));
    if (response.status !== 200) throw new Error(`leave ${sessionId}: ${response.status}`);
    return response;
  };
  const isOurs = (m: CollectedMessage) => m.body?.event_id === eventId;

  it('keeps capacity, admits nobody twice and frees every uncompleted slot at its expiry', async () => {
    const startedAt = Date.now();
    expect((await upsert('paused')).status).toBe(201);

    // A few hundred people queued, through every instance.
    const sessionIds: string[] = [];
    let nextUser = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (nextUser < JOINS) {
          const user = nextUser++;
          const response = await instances[user % INSTANCES].http.join(`ikill-${user}`, eventId);
          expect(response.status).toBe(201);
          sessionIds.push(response.body.session_id);
        }
      }),
    );

    // Sampling: the active set in Redis (the slots themselves) and /stats on a live instance.
    let sampling = true;
    let maxActiveRedis = 0;
    let redisSamples = 0;
    let maxActiveHttp = 0;
    let httpSamples = 0;
    const samplers = [
      (async () => {
        while (sampling) {
          maxActiveRedis = Math.max(maxActiveRedis, await redis.zcard(activeKey));
          redisSamples++;
          await sleep(10);
        }
      })(),
      (async () => {
        while (sampling) {
          const stats = await onLive((instance) => instance.http.stats(eventId)).catch(() => undefined);
          if (stats?.status === 200) {
            maxActiveHttp = Math.max(maxActiveHttp, stats.body.active_count as number);
            httpSamples++;
          }
          await sleep(25);
        }
      })(),
    ];

    // The checkout side: admitted people leave after 50-300 ms, except those let expire.
    let leaving = true;
    let driving = true;
    const seen = new Set<string>();
    const letExpire = new Set<string>();
    const leaves: Promise<unknown>[] = [];
    /** Errors of the background loops, checked at the end (a rejected loop must not go unnoticed). */
    const failures: string[] = [];
    let onLeave: (() => void) | undefined;
    const driver = (async () => {
      while (driving) {
        for (const ready of collector.matching(Topics.QUEUE_READY, isOurs)) {
          const sessionId = ready.body.session_id as string;
          if (seen.has(sessionId)) continue;
          seen.add(sessionId);
          if (!leaving || seen.size % EXPIRE_EVERY === 0) {
            letExpire.add(sessionId);
            continue;
          }
          leaves.push(
            (async () => {
              await sleep(between(50, 300));
              await leave(sessionId);
              onLeave?.();
            })().catch((error: unknown) => failures.push(`leave: ${String(error)}`)),
          );
        }
        await sleep(20);
      }
    })();

    // The drill: SIGKILL one instance after another, a few ms after a slot was freed (its
    // scheduler is then likely inside the step that fills it), keep it dead a moment, restart it.
    let killing = true;
    const kills: { instance: number; atMs: number; downMs: number }[] = [];
    const killer = (async () => {
      while (killing) {
        await sleep(between(1000, 2500));
        if (!killing) break;
        await Promise.race([new Promise<void>((resolve) => (onLeave = resolve)), sleep(2000)]);
        onLeave = undefined;
        await sleep(between(0, 40));
        const index = kills.length % INSTANCES;
        const victim = instances[index];
        down.add(index);
        const killedAt = Date.now();
        victim.signal('SIGKILL');
        const exit = await victim.waitForExit(10000);
        if (exit.signal !== 'SIGKILL')
          throw new Error(`instance ${index} exited with ${JSON.stringify(exit)}`);
        await sleep(between(0, 1000));
        await victim.start();
        down.delete(index);
        kills.push({ instance: index, atMs: killedAt - startedAt, downMs: Date.now() - killedAt });
      }
    })().catch((error: unknown) => {
      killing = false;
      failures.push(`killer: ${String(error)}`);
    });

    expect((await upsert('open')).status).toBe(200);
    const openedAt = Date.now();
    await sleep(CHURN_MS);

    // Last phase: nobody completes any more; every admitted window must run out by itself.
    leaving = false;
    await Promise.all(leaves);
    const expiryPhaseAt = Date.now();
    const expiryPhaseSessions = (): string[] =>
      collector
        .matching(Topics.QUEUE_READY, (m) => isOurs(m) && ms(m.body.admitted_at) >= expiryPhaseAt)
        .map((m) => m.body.session_id as string);
    // The slots fill with people nobody completes; then they expire and the next ones come in.
    await eventually(
      () => Promise.resolve(new Set(expiryPhaseSessions()).size),
      (n) => n >= 2 * CAPACITY,
      CHECKOUT_TIMEOUT_SECONDS * 1000 + 15000,
      100,
    );
    killing = false;
    await killer;

    // The end: everyone still queued or admitted leaves; the event is empty again.
    driving = false;
    await driver;
    expect(failures).toEqual([]);
    const finalPhaseAt = Date.now();
    for (let from = 0; from < sessionIds.length; from += 10)
      await Promise.all(sessionIds.slice(from, from + 10).map((id) => leave(id)));
    sampling = false;
    await Promise.all(samplers);
    const stats = await eventually(
      () => instances[0].http.stats(eventId),
      (r) => r.body.active_count === 0 && r.body.queue_length === 0,
      20000,
      100,
    );

    // Everything reaches Kafka: each admission's QUEUE_READY (at least one message per admission,
    // whether or not two of them are the same session's) and the QUEUE_LEFT that ended it.
    await eventually(
      () => Promise.resolve(collector.matching(Topics.QUEUE_READY, isOurs).length),
      (n) => n >= stats.body.admitted_total,
      30000,
      100,
    );
    const admitted = new Set(collector.matching(Topics.QUEUE_READY, isOurs).map((m) => m.body.session_id));
    const endedIds = () =>
      new Set(
        collector
          .matching(Topics.QUEUE_LEFT, (m) => isOurs(m) && admitted.has(m.body.session_id))
          .map((m) => m.body.session_id),
      );
    await eventually(
      () => Promise.resolve(endedIds().size),
      (n) => n === admitted.size,
      30000,
      100,
    );
    await sleep(500);

    // No double admission: one message_id per admitted session, one session per message_id.
    const readies = collector.matching(Topics.QUEUE_READY, isOurs);
    const readyBySession = new Map<string, CollectedMessage[]>();
    const sessionsByMessageId = new Map<string, Set<string>>();
    for (const m of readies) {
      expect(m.headers.message_id).toBe(m.body.message_id);
      const list = readyBySession.get(m.body.session_id) ?? [];
      list.push(m);
      readyBySession.set(m.body.session_id, list);
      const sessions = sessionsByMessageId.get(m.body.message_id) ?? new Set<string>();
      sessions.add(m.body.session_id);
      sessionsByMessageId.set(m.body.message_id, sessions);
    }
    const admittedTwice = [...readyBySession]
      .filter(([, list]) => new Set(list.map((m) => m.body.message_id)).size > 1)
      .map(
        ([sessionId, list]) =>
          `${sessionId}: ${list.map((m) => `${m.body.message_id}@${m.body.admitted_at}`).join(', ')}`,
      );
    expect(admittedTwice).toEqual([]);
    expect([...sessionsByMessageId.values()].filter((s) => s.size > 1)).toEqual([]);
    expect(readyBySession.size).toBe(stats.body.admitted_total);

    // Capacity at every moment, rebuilt from Kafka (see the comment at the top).
    const firstOf = (list: CollectedMessage[]) => list[0];
    const leftBySession = new Map<string, CollectedMessage>();
    for (const m of collector.matching(Topics.QUEUE_LEFT, isOurs))
      if (!leftBySession.has(m.body.session_id)) leftBySession.set(m.body.session_id, m);
    const changes = new Map<number, number>();
    for (const [sessionId, list] of readyBySession) {
      const admittedAt = ms(firstOf(list).body.admitted_at);
      const endedAt = ms(leftBySession.get(sessionId)!.body.left_at);
      expect(endedAt).toBeGreaterThanOrEqual(admittedAt);
      changes.set(admittedAt, (changes.get(admittedAt) ?? 0) + 1);
      changes.set(endedAt, (changes.get(endedAt) ?? 0) - 1);
    }
    let occupied = 0;
    let maxOccupied = 0;
    const overCapacity: string[] = [];
    for (const [at, delta] of [...changes].sort((a, b) => a[0] - b[0])) {
      occupied += delta;
      maxOccupied = Math.max(maxOccupied, occupied);
      if (occupied > CAPACITY) overCapacity.push(`${new Date(at).toISOString()}: ${occupied}`);
    }
    expect(occupied).toBe(0);
    expect({ overCapacity: overCapacity.length, first: overCapacity.slice(0, 5) }).toEqual({
      overCapacity: 0,
      first: [],
    });
    expect(maxActiveRedis).toBeLessThanOrEqual(CAPACITY);
    expect(maxActiveHttp).toBeLessThanOrEqual(CAPACITY);

    // Every uncompleted window ended `expired`, on time, and the queue moved on behind it.
    const admissionTimes = readies.map((m) => ms(m.body.admitted_at)).sort((a, b) => a - b);
    const lateness: number[] = [];
    const latePeople: string[] = [];
    const stuckQueue: string[] = [];
    let expiredSeen = 0;
    for (const sessionId of letExpire) {
      const left = leftBySession.get(sessionId)!;
      const expiresAt = ms(firstOf(readyBySession.get(sessionId)!).body.expires_at);
      const leftAt = ms(left.body.left_at);
      if (leftAt >= finalPhaseAt) continue; // still inside its window when everyone was sent away
      expiredSeen++;
      expect(left.body.reason).toBe('expired');
      lateness.push(leftAt - expiresAt);
      if (leftAt < expiresAt || leftAt - expiresAt > SLACK_MS)
        latePeople.push(`${sessionId}: expires_at ${expiresAt}, left_at ${leftAt}`);
      // The queue was never empty before the final phase: a freed slot is taken again promptly.
      if (!admissionTimes.some((t) => t >= leftAt && t <= leftAt + NEXT_ADMISSION_MS))
        stuckQueue.push(
          `${sessionId}: expired at ${left.body.left_at}, nobody admitted within ${NEXT_ADMISSION_MS} ms`,
        );
    }
    expect(latePeople).toEqual([]);
    expect(stuckQueue).toEqual([]);
    // The ones let expire in the last phase all did (and the slots they held were reused).
    expect(expiredSeen).toBeGreaterThanOrEqual(CAPACITY + 2);
    expect(stats.body.expired_total).toBe(
      [...leftBySession.values()].filter(
        (m) => admitted.has(m.body.session_id) && m.body.reason === 'expired',
      ).length,
    );

    // Nobody is left holding a slot or a place.
    const statuses = new Map<string, number>();
    for (let from = 0; from < sessionIds.length; from += 20) {
      const answers = await Promise.all(
        sessionIds.slice(from, from + 20).map((id) => instances[0].http.session(id)),
      );
      for (const answer of answers)
        statuses.set(answer.body.status, (statuses.get(answer.body.status) ?? 0) + 1);
    }
    expect(statuses.get('ready') ?? 0).toBe(0);
    expect(statuses.get('queued') ?? 0).toBe(0);
    expect(expiryPhaseSessions().length).toBeGreaterThan(0);

    // The drill really happened: several kills, a good share of them while admissions went on.
    expect(kills.length).toBeGreaterThanOrEqual(5);
    expect(kills.some((k) => k.instance === 0) && kills.some((k) => k.instance === INSTANCES - 1)).toBe(true);

    const duplicates = readies.length - readyBySession.size;
    const sortedLateness = [...lateness].sort((a, b) => a - b);
    console.log(
      `[instance-kill] ${INSTANCES} instances, ${kills.length} SIGKILLs+restarts ` +
        `(down ${Math.min(...kills.map((k) => k.downMs))}-${Math.max(...kills.map((k) => k.downMs))} ms each) ` +
        `over ${Math.round((finalPhaseAt - openedAt) / 1000)} s; joins ${JOINS}, admitted ${readyBySession.size} ` +
        `(QUEUE_READY ${readies.length}, republished with the same message_id ${duplicates}, admitted twice ${admittedTwice.length}); ` +
        `capacity ${CAPACITY}: max active sampled in Redis ${maxActiveRedis} (${redisSamples} samples), ` +
        `via /stats ${maxActiveHttp} (${httpSamples} samples), rebuilt from Kafka ${maxOccupied}; ` +
        `expired ${expiredSeen}, freed after expires_at in ${sortedLateness[0]}-${sortedLateness[sortedLateness.length - 1]} ms ` +
        `(median ${sortedLateness[Math.floor(sortedLateness.length / 2)]} ms); total ${Math.round((Date.now() - startedAt) / 1000)} s`,
    );
  }, 175000);
});
