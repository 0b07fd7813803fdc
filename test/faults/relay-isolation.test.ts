import { Topics } from '@waitroom/contracts';
import { eventually, startApp, type RunningApp, type TestRedis } from '../support/app-harness';
import { TopicCollector } from '../support/kafka';

/**
 * Issue 10, finding 2: one unreadable outbox entry must not stop publishing. Before, an entry of
 * a kind this version does not know (what a newer version writes during a rolling deploy) made
 * the relay pass throw, and no event sorted after it was ever published again.
 */
describe('outbox relay with unreadable entries', () => {
  let svc: RunningApp;
  let collector: TopicCollector;
  let redis: TestRedis;

  beforeAll(async () => {
    svc = await startApp();
    redis = svc.redis;
    collector = await TopicCollector.start([Topics.QUEUE_JOINED]);
  });
  afterAll(async () => {
    await collector?.stop();
    await svc?.close();
  });

  it('quarantines them, and publishes that event’s other entries and every other event’s', async () => {
    const first = await svc.http.createEvent('aaa-relay', { capacity: 1, state: 'paused' });
    const later = await svc.http.createEvent('zzz-relay', { capacity: 1, state: 'paused' });
    const outbox = redis.keys.forEvent(first).outbox;
    // A kind from the future, and a known kind with a damaged time.
    await redis.client.xadd(
      outbox,
      '*',
      'k',
      'promoted',
      'm',
      'future-1',
      'at',
      String(Date.now()),
      's',
      'x',
      'u',
      'u',
    );
    await redis.client.xadd(
      outbox,
      '*',
      'k',
      'joined',
      'm',
      'damaged-1',
      'at',
      'not-a-time',
      's',
      'y',
      'u',
      'u',
      'p',
      '0',
      'pos',
      '1',
    );

    const a = await svc.http.join('after-the-bad-ones', first);
    const b = await svc.http.join('other-event', later);
    await collector.waitFor(Topics.QUEUE_JOINED, (m) => m.body?.session_id === a.body.session_id);
    await collector.waitFor(Topics.QUEUE_JOINED, (m) => m.body?.session_id === b.body.session_id);
    expect(
      collector.matching(Topics.QUEUE_JOINED, (m) => ['future-1', 'damaged-1'].includes(m.body?.message_id)),
    ).toEqual([]);

    await eventually(
      () => redis.client.xlen(outbox),
      (length) => length === 0,
    );
    const quarantined = await redis.client.xrange(redis.keys.forEvent(first).outboxQuarantine, '-', '+');
    expect(quarantined).toHaveLength(2);
    const fields = quarantined.map(([, flat]) =>
      Object.fromEntries(flat.flatMap((_, i) => (i % 2 ? [] : [[flat[i], flat[i + 1]]]))),
    );
    expect(fields.map((f) => f.m)).toEqual(['future-1', 'damaged-1']);
    expect(fields[0].reason).toMatch(/unknown kind promoted/);
    expect(fields[1].reason).toMatch(/time|invalid/i);
    expect(fields.every((f) => /^\d+-\d+$/.test(f.outbox_id))).toBe(true);

    const metrics = await svc.http.get('/metrics');
    expect(String(metrics.body)).toMatch(/^waitroom_outbox_quarantined_total 2$/m);
  });
});
