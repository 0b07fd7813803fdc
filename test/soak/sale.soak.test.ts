import { Topics } from '@waitroom/contracts';
import { execFileSync } from 'node:child_process';
import { exportPKCS8, generateKeyPair } from 'jose';
import Redis from 'ioredis';
import { eventually, HttpClient } from '../support/app-harness';
import { consumerGroupLag, killKafkaBroker, kafkaBroker, TopicCollector } from '../support/kafka';
import { RedisSentinelProcesses } from '../support/redis-processes';
import { ServiceProcess } from '../support/service-process';
import { startSimulator, type RunningSimulator } from '../support/simulator-harness';
import { uniquePrefix } from '../support/test-env';

/**
 * Issue 26, `make soak`: a whole sale while things fail at random. Two service instances behind
 * nothing but the crowd's random choice, Redis through Sentinel (a master, a replica, three
 * Sentinels) with REDIS_WAIT_REPLICAS=1, the stack's Kafka broker, the checkout simulator
 * completing and failing checkouts. A crowd joins two events, polls, streams and leaves, while
 * faults come every CHAOS_EVERY_MS in a shuffled round: an instance SIGKILLed (and started again),
 * the Redis master SIGKILLed (and back as a replica of the promoted one), the Kafka broker
 * SIGKILLed (and started again), an instance SIGSTOPped for 3 s. Then the faults stop, the sale
 * drains, and the invariants are checked and printed as a table.
 *
 * SOAK_SECONDS (default 600) is how long the crowd and the faults run; CI runs a short one.
 */
const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 600) * 1000;
const CHAOS_EVERY_MS = Number(process.env.SOAK_CHAOS_EVERY_SECONDS ?? 12) * 1000;
const PEOPLE_AT_ONCE = Number(process.env.SOAK_PEOPLE ?? 40);
const REDIS_BASE_PORT = Number(process.env.SOAK_REDIS_PORT ?? 6511);
const EVENTS = [
  { id: `soak-a-${Date.now()}`, capacity: 8, rate: 600 },
  { id: `soak-b-${Date.now()}`, capacity: 4, rate: null },
];
const CHECKOUT_TIMEOUT_SECONDS = 15;
const IDLE_TIMEOUT_SECONDS = 20;

interface Person {
  user: string;
  eventId: string;
  sessionId?: string;
  /** Statuses this person was answered, in order. */
  seen: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const shuffle = <T>(items: T[]): T[] => items.sort(() => Math.random() - 0.5);

describe('a whole sale while things fail at random (make soak)', () => {
  const prefix = uniquePrefix('soak');
  const redis = new RedisSentinelProcesses(REDIS_BASE_PORT);
  let instances: ServiceProcess[] = [];
  let simulator: RunningSimulator;
  let collector: TopicCollector;
  let store: Redis;
  const answers = { total: 0, byStatus: new Map<number, number>() };
  const faults: string[] = [];

  beforeAll(async () => {
    await redis.start();
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const signingKey = await exportPKCS8(privateKey);
    instances = [0, 1].map(() =>
      ServiceProcess.onStack(prefix, {
        REDIS_SENTINELS: redis.sentinelsSetting,
        REDIS_SENTINEL_MASTER: redis.masterName,
        REDIS_WAIT_REPLICAS: '1',
        ADMISSION_TOKEN_PRIVATE_KEY: signingKey,
        ADMISSION_TICK_MS: '100',
      }),
    );
    await Promise.all(instances.map((instance) => instance.start()));
    collector = await TopicCollector.start([
      Topics.QUEUE_JOINED,
      Topics.QUEUE_LEFT,
      Topics.QUEUE_READY,
      Topics.CHECKOUT_COMPLETED,
      Topics.CHECKOUT_FAILED,
    ]);
    simulator = await startSimulator({
      env: {
        SIMULATED_EVENTS: EVENTS.map((event) => event.id).join(','),
        CHECKOUT_DELAY_MS: '500-4000',
        CHECKOUT_FAILURE_RATE: '0.2',
        WAITROOM_URL: `http://127.0.0.1:${instances[0].port}`,
      },
    });
    store = new Redis({
      sentinels: redis.sentinelsSetting.split(',').map((hostPort) => ({
        host: '127.0.0.1',
        port: Number(hostPort.split(':')[1]),
      })),
      name: redis.masterName,
    });
    store.on('error', () => undefined);
  }, 180_000);

  afterAll(async () => {
    await simulator?.close().catch(() => undefined);
    await collector?.stop().catch(() => undefined);
    await Promise.all(instances.map((instance) => instance.stop()));
    store?.disconnect();
    redis.cleanup();
  });

  /** What the faults left, for a drain that does not end: the faults, Redis's roles, each instance's log. */
  function diagnosis(): string {
    const roles = redis.nodes.map((node) => {
      try {
        const info = execFileSync('redis-cli', ['-p', String(node.port), 'info', 'replication'], {
          encoding: 'utf8',
          timeout: 2000,
        });
        return `${node.port}: ${info
          .split('\r\n')
          .filter((line) => /^(role|master_port|master_link_status)/.test(line))
          .join(' ')}`;
      } catch {
        return `${node.port}: no answer`;
      }
    });
    return [
      `\n[soak] faults: ${faults.join('; ')}`,
      `[soak] Sentinels name ${redis.masterPort()}; ${roles.join('; ')}`,
      ...instances.map((instance, i) => {
        // Each distinct message once, with how often it came: the first errors of an outage
        // are long gone from the tail by then.
        const seen = new Map<string, number>();
        for (const line of instance.output.join('').split('\n')) {
          const message = /"message":"([^"]*)"/.exec(line)?.[1]?.replace(/\(\d+x\)/, '(Nx)');
          if (message) seen.set(message, (seen.get(message) ?? 0) + 1);
        }
        return `[soak] instance ${i} messages:\n${[...seen].map(([m, n]) => `  ${n}x ${m}`).join('\n')}`;
      }),
      ...instances.map(
        (instance, i) =>
          `[soak] instance ${i} log (tail):\n${instance.output.join('').split('\n').slice(-40).join('\n')}`,
      ),
      ...redis.nodes.map((node) => `[soak] redis ${node.port} log (tail):\n${node.logTail(20)}`),
      '',
    ].join('\n');
  }

  /** One of the instances, at random, as a load balancer would pick. */
  const anyInstance = (): HttpClient => instances[Math.floor(Math.random() * instances.length)].http;

  /** A call that counts its answer; a refused connection (a dead instance) counts as status 0. */
  async function call<T>(request: (http: HttpClient) => Promise<{ status: number; body: T }>) {
    const response = await request(anyInstance()).catch(() => ({ status: 0, body: null as T }));
    answers.total++;
    answers.byStatus.set(response.status, (answers.byStatus.get(response.status) ?? 0) + 1);
    return response;
  }

  /** One person: joins (retrying refusals), polls until their sale is over, sometimes leaves. */
  async function person(user: string, eventId: string, until: number, people: Person[]): Promise<void> {
    const me: Person = { user, eventId, seen: [] };
    people.push(me);
    while (Date.now() < until && !me.sessionId) {
      const joined = await call((http) => http.join(user, eventId));
      if (joined.status === 201 || joined.status === 200) me.sessionId = joined.body.session_id;
      else await sleep(500);
    }
    const leaves = Math.random() < 0.1;
    const pollEveryMs = 800 + Math.random() * 800;
    for (let polls = 0; me.sessionId && Date.now() < until; polls++) {
      if (leaves && polls === 5) {
        const left = await call((http) => http.leave(me.sessionId!));
        if (left.status === 200) me.seen.push('left');
      }
      const polled = await call((http) => http.session(me.sessionId!));
      if (polled.status === 200) {
        me.seen.push(polled.body.status);
        if (!['queued', 'ready'].includes(polled.body.status)) return;
      }
      await sleep(pollEveryMs);
    }
  }

  /** The faults, one every CHAOS_EVERY_MS in a shuffled round, until `until`. */
  async function chaos(until: number): Promise<void> {
    const kinds = ['instance-kill', 'redis-master-kill', 'kafka-broker-kill', 'instance-pause'];
    let round: string[] = [];
    while (Date.now() + CHAOS_EVERY_MS < until) {
      await sleep(CHAOS_EVERY_MS);
      if (round.length === 0) round = shuffle([...kinds]);
      const kind = round.pop()!;
      const started = Date.now();
      if (kind === 'instance-kill') {
        const victim = instances[Math.floor(Math.random() * instances.length)];
        victim.signal('SIGKILL');
        await victim.waitForExit(10_000).catch(() => undefined);
        await sleep(1000);
        await victim.start();
      } else if (kind === 'instance-pause') {
        const victim = instances[Math.floor(Math.random() * instances.length)];
        victim.signal('SIGSTOP');
        await sleep(3000);
        victim.signal('SIGCONT');
      } else if (kind === 'redis-master-kill') {
        const oldMaster = redis.masterPort();
        await redis.node(oldMaster).kill();
        await redis.rejoinAsReplica(redis.node(oldMaster), await redis.newMasterAfter(oldMaster));
      } else {
        await killKafkaBroker();
        await sleep(2000);
        await kafkaBroker('start-kafka');
      }
      faults.push(`${kind} at +${Math.round((started - soakStarted) / 1000)} s (${Date.now() - started} ms)`);
    }
  }

  let soakStarted = 0;

  it(
    `keeps every invariant through ${SOAK_MS / 1000} s of faults`,
    async () => {
      for (const event of EVENTS) {
        const configured = await instances[0].http.upsertEvent(event.id, {
          capacity: event.capacity,
          admission_rate_per_minute: event.rate,
          checkout_timeout_seconds: CHECKOUT_TIMEOUT_SECONDS,
          idle_timeout_seconds: IDLE_TIMEOUT_SECONDS,
        });
        expect(configured.status).toBe(201);
      }
      soakStarted = Date.now();
      const until = soakStarted + SOAK_MS;

      // Capacity, sampled on the master all along: never above it.
      const maxActive = new Map<string, number>();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const event of EVENTS) {
            const active = await store.zcard(`${prefix}{${event.id}}:active`).catch(() => 0);
            maxActive.set(event.id, Math.max(maxActive.get(event.id) ?? 0, active));
          }
          await sleep(200);
        }
      })();

      // The crowd: PEOPLE_AT_ONCE people at any moment, a new one as soon as one is done.
      const people: Person[] = [];
      let next = 0;
      const crowd = Array.from({ length: PEOPLE_AT_ONCE }, async () => {
        while (Date.now() < until) {
          const event = EVENTS[next % EVENTS.length];
          await person(`soak-${next++}`, event.id, until, people);
        }
      });
      await Promise.all([chaos(until), ...crowd]);

      // The faults stop; the sale drains until nothing changes any more: every place acknowledged
      // ends (the crowd stopped polling, so a queued place is abandoned after its idle timeout, an
      // admitted one ends in checkout or with its window), the outboxes empty, the checkout
      // topics are consumed, and the collector has read everything the topics hold. Whatever is
      // still unfinished when the wait gives up shows in the table below.
      const acknowledged = people.filter((p) => p.sessionId);
      await Promise.all(
        instances.map((instance) =>
          eventually(
            () => instance.http.get('/health/ready'),
            (r) => r.status === 200,
            120_000,
            500,
          ),
        ),
      ).catch((error: unknown) => {
        process.stdout.write(diagnosis());
        throw error;
      });
      const readFinals = () => Promise.all(acknowledged.map((p) => instances[0].http.session(p.sessionId!)));
      const unfinished = (finals: Awaited<ReturnType<typeof readFinals>>) =>
        finals.filter((final) => final.status === 200 && ['queued', 'ready'].includes(final.body.status))
          .length;
      const drainDeadline = Date.now() + (IDLE_TIMEOUT_SECONDS + CHECKOUT_TIMEOUT_SECONDS + 90) * 1000;
      while (unfinished(await readFinals()) > 0 && Date.now() < drainDeadline) await sleep(1000);
      for (const event of EVENTS) {
        await eventually(
          async () =>
            (await store.zcard(`${prefix}{${event.id}}:active`)) +
            (await store.xlen(`${prefix}{${event.id}}:outbox`)),
          (left) => left === 0,
          (CHECKOUT_TIMEOUT_SECONDS + 60) * 1000,
          1000,
        );
      }
      const lag = await eventually(
        () =>
          consumerGroupLag('waitroom-service', [
            Topics.CHECKOUT_COMPLETED,
            Topics.CHECKOUT_FAILED,
            Topics.CHECKOUT_EXPIRED,
          ]),
        (value) => value === 0,
        60_000,
        1000,
      );
      sampling = false;
      await sampler;
      await collector.waitUntilCaughtUp(60_000);

      // Invariants.
      const distinct = (topic: string, sessionId: string) =>
        new Set(
          collector.matching(topic, (m) => m.body?.session_id === sessionId).map((m) => m.body.message_id),
        ).size;
      const finals = await readFinals();
      const lost = acknowledged.filter((_, i) => finals[i].status !== 200);
      const joinedNotOnce = acknowledged.filter((p) => distinct(Topics.QUEUE_JOINED, p.sessionId!) !== 1);
      const admitted = acknowledged.filter((_, i) => finals[i].body?.admitted_at);
      const readyNotOnce = admitted.filter((p) => distinct(Topics.QUEUE_READY, p.sessionId!) !== 1);
      const readyWithoutAdmission = acknowledged.filter(
        (p, i) => !finals[i].body?.admitted_at && distinct(Topics.QUEUE_READY, p.sessionId!) > 0,
      );
      const ended = acknowledged.filter((_, i) =>
        ['left', 'abandoned', 'expired'].includes(finals[i].body?.status),
      );
      const leftNotOnce = ended.filter((p) => distinct(Topics.QUEUE_LEFT, p.sessionId!) !== 1);
      const stillReady = acknowledged.filter((_, i) => finals[i].body?.status === 'ready');
      const stillQueued = acknowledged.filter((_, i) => finals[i].body?.status === 'queued');
      const capacityExceeded = EVENTS.filter((event) => (maxActive.get(event.id) ?? 0) > event.capacity);
      const errors500 = [...answers.byStatus.entries()].filter(([status]) => status >= 500 && status !== 503);

      const rows: [string, string, boolean][] = [
        [
          'capacity never exceeded',
          EVENTS.map((e) => `${e.id.slice(0, 6)} max ${maxActive.get(e.id) ?? 0}/${e.capacity}`).join(', '),
          capacityExceeded.length === 0,
        ],
        [
          'nobody admitted twice',
          `${admitted.length} admitted, ${readyNotOnce.length} without exactly one QUEUE_READY, ${readyWithoutAdmission.length} QUEUE_READY without admission`,
          readyNotOnce.length === 0 && readyWithoutAdmission.length === 0,
        ],
        [
          'no acknowledged place lost',
          `${acknowledged.length} acknowledged, ${lost.length} not found`,
          lost.length === 0,
        ],
        [
          'QUEUE_JOINED once per place',
          `${joinedNotOnce.length} not exactly once`,
          joinedNotOnce.length === 0,
        ],
        [
          'QUEUE_LEFT once per ended place',
          `${ended.length} left/abandoned/expired, ${leftNotOnce.length} not exactly once`,
          leftNotOnce.length === 0,
        ],
        [
          'every place ended',
          `${stillReady.length} still ready, ${stillQueued.length} still queued`,
          stillReady.length === 0 && stillQueued.length === 0,
        ],
        ['no consumer lag left', `lag ${lag}`, lag === 0],
        [
          'no 500',
          `${answers.total} answers: ${[...answers.byStatus.entries()].map(([s, n]) => `${s}: ${n}`).join(', ')}`,
          errors500.length === 0,
        ],
      ];
      process.stdout.write(
        `\n[soak] ${SOAK_MS / 1000} s, ${people.length} people, faults: ${faults.join('; ') || 'none'}\n` +
          '| invariant | measured | holds |\n|---|---|---|\n' +
          rows
            .map(([name, measured, holds]) => `| ${name} | ${measured} | ${holds ? 'yes' : '**no**'} |`)
            .join('\n') +
          '\n',
      );
      for (const [name, measured, holds] of rows)
        expect({ name, measured, holds }).toEqual({ name, measured, holds: true });
    },
    SOAK_MS + 600_000,
  );
});
