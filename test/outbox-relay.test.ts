import { Topics } from '@waitroom/contracts';
import { OutboxRelayService } from '../apps/waitroom/src/events/outbox-relay.service';
import { RedisService } from '../apps/waitroom/src/redis/redis.service';
import { startApp, type RunningApp } from './support/app-harness';
import { TopicCollector } from './support/kafka';

const BATCH = 7;
const JOINS = 60;

/**
 * The relay reads the next batch while the broker acknowledges the current one: across many
 * batches, an event's messages still reach Kafka once each and in the order of its outbox, and an
 * unreadable entry read ahead is set aside without holding up the rest.
 */
describe('the outbox relay across batches', () => {
  let svc: RunningApp;
  let collector: TopicCollector;

  beforeAll(async () => {
    // The relay's own passes come a minute apart (its first, at start, finds nothing): the test
    // runs the pass that finds the whole backlog waiting.
    svc = await startApp({ env: { OUTBOX_BATCH_SIZE: String(BATCH), OUTBOX_RELAY_INTERVAL_MS: '60000' } });
    collector = await TopicCollector.start([Topics.QUEUE_JOINED]);
  });
  afterAll(async () => {
    await collector?.stop();
    await svc?.close();
  });

  it('publishes a backlog of many batches once each, in outbox order, quarantining a bad entry read ahead', async () => {
    const redis = svc.app.get(RedisService);
    const eventId = await svc.http.createEvent('relay-batches', { capacity: 10, state: 'paused' });
    const outbox = redis.keys.forEvent(eventId).outbox;
    const sessionIds: string[] = [];
    for (let i = 0; i < JOINS; i++) {
      // An entry no version can publish, inside the third batch (read ahead while the second is sent).
      if (i === 2 * BATCH + 3)
        await redis.client.xadd(outbox, '*', 'k', 'promoted', 'm', 'future-batch', 'at', String(Date.now()));
      const response = await svc.http.join(`batch-${i}`, eventId);
      expect(response.status).toBe(201);
      sessionIds.push(response.body.session_id as string);
    }
    expect(await redis.client.xlen(outbox)).toBe(JOINS + 1);

    const published = await svc.app.get(OutboxRelayService).passOverAllEvents([eventId]);
    expect(published).toBe(JOINS);
    expect(await redis.client.xlen(outbox)).toBe(0);
    expect(await redis.client.xlen(redis.keys.forEvent(eventId).outboxQuarantine)).toBe(1);

    const received = await collector.waitFor(Topics.QUEUE_JOINED, (m) => m.key === eventId, JOINS);
    // One partition per event: offsets order the messages as the broker holds them.
    const inOrder = [...received].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    expect(inOrder.map((m) => m.body.session_id)).toEqual(sessionIds);
    expect(inOrder.map((m) => m.body.position)).toEqual(sessionIds.map((_, i) => i + 1));
  });
});
