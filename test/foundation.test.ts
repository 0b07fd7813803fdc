import { CONSUMER_GROUP_ID, Topics } from '@waitroom/contracts';
import type { Producer } from 'kafkajs';
import { CheckoutEventsService } from '../apps/waitroom/src/events/checkout-inbox/checkout-events.service';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { kafkaCli, sendRaw, testProducer } from './support/kafka';
import { ServiceProcess } from './support/service-process';
import { TEST_KAFKA_BROKERS, TEST_REDIS_URL, uniquePrefix } from './support/test-env';

/** Issue 2: the hybrid app boots on the real stack, consumes, produces, and fails fast on bad config. */
describe('foundation', () => {
  let svc: RunningApp;
  let producer: Producer;

  beforeAll(async () => {
    svc = await startApp({ consumer: true });
    producer = await testProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await svc?.close();
  });

  it('boots: liveness and readiness answer in terminus format', async () => {
    const live = await svc.http.get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    const ready = await svc.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: { redis: { status: 'up' }, kafka: { status: 'up' } },
    });
  });

  it('receives a record a plain kafkajs producer writes to CHECKOUT_COMPLETED in its @EventPattern handler', async () => {
    const checkout = svc.app.get(CheckoutEventsService);
    const before = checkout.stats.ignored;
    // A well-formed message for a session nobody has: handled (and ignored), not dead-lettered.
    await sendRaw(
      producer,
      Topics.CHECKOUT_COMPLETED,
      JSON.stringify({ session_id: 'nobody~AAAAAAAAAAAAAAAAAAAAAA' }),
    );
    await eventually(
      async () => checkout.stats.ignored,
      (ignored) => ignored > before,
      30000,
    );
  });

  it('is visible as consumer group waitroom-service to Kafka’s own tools', async () => {
    const output = await kafkaCli([
      'consumer-groups',
      '--describe',
      '--group',
      CONSUMER_GROUP_ID,
      '--members',
    ]);
    expect(output).toContain(CONSUMER_GROUP_ID);
    expect(output).toMatch(/waitroom-consumer/);
    const offsets = await kafkaCli(['consumer-groups', '--describe', '--group', CONSUMER_GROUP_ID]);
    for (const topic of [Topics.CHECKOUT_COMPLETED, Topics.CHECKOUT_FAILED, Topics.CHECKOUT_EXPIRED])
      expect(offsets).toContain(topic);
  }, 60000);

  it('stops at start-up with one clear line naming a bad variable', async () => {
    const service = new ServiceProcess({
      REDIS_URL: TEST_REDIS_URL,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      JOIN_RATE_LIMIT_PER_MINUTE: 'lots',
    });
    await service.start(false);
    const exit = await service.waitForExit();
    expect(exit.code).toBe(1);
    const lines = service.output.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: JOIN_RATE_LIMIT_PER_MINUTE/);
  });

  it('runs as a process and stops cleanly on SIGTERM', async () => {
    // Its log at the default level (`log`): the line "stopped cleanly" is one of those.
    const service = ServiceProcess.onStack(uniquePrefix('proc'), { LOG_LEVEL: 'log', LOG_FORMAT: 'json' });
    await service.start();
    expect((await service.http.get('/health/live')).status).toBe(200);
    service.signal('SIGTERM');
    const exit = await service.waitForExit(20000);
    expect(exit.code).toBe(0);
    const log = service.output.join('');
    expect(log).toContain('stopped cleanly');
    // JSON logs: every line parses.
    for (const line of log.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  }, 60000);
});
