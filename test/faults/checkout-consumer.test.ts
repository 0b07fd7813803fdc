import { CONSUMER_GROUP_ID, ConsumedTopics, Topics, type ConsumedTopic } from '@waitroom/contracts';
import type { IHeaders, Producer } from 'kafkajs';
import { ConsumerState } from '@waitroom/kafka-consumer';
import { eventually, startApp, type RunningApp } from '../support/app-harness';
import { consumerGroupLag, testProducer, TopicCollector, type CollectedMessage } from '../support/kafka';

/**
 * Issue 10, finding 1: no checkout record, whatever its key, headers, size or nesting, stops the
 * consumer. Each record is applied, ignored or dead-lettered with its original bytes, and the
 * valid messages around the poison ones are all applied. Real broker, real Redis.
 */
describe('checkout consumer under crafted records', () => {
  let svc: RunningApp;
  let collector: TopicCollector;
  let producer: Producer;
  let state: ConsumerState;
  const DLQS = ConsumedTopics.map((topic) => `${topic}.DLQ`);

  beforeAll(async () => {
    svc = await startApp({ consumer: true });
    state = svc.app.get(ConsumerState);
    collector = await TopicCollector.start(DLQS);
    producer = await testProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await collector?.stop();
    await svc?.close();
  });

  /** An open event with `count` people admitted (status ready); returns their session ids. */
  async function readySessions(count: number): Promise<{ eventId: string; sessionIds: string[] }> {
    const eventId = await svc.http.createEvent('poison', { capacity: count, state: 'open' });
    const sessionIds: string[] = [];
    for (let i = 0; i < count; i++)
      sessionIds.push((await svc.http.join(`user-${i}`, eventId)).body.session_id);
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.active_count === count,
      30000,
      100,
    );
    return { eventId, sessionIds };
  }

  async function send(
    topic: string,
    value: Buffer | string | null,
    key: Buffer | string | null,
    headers?: IHeaders,
  ) {
    await producer.send({ topic, messages: [{ key, value, headers }] });
  }

  const statusOf = async (sessionId: string) => (await svc.http.session(sessionId)).body.status as string;
  const dlqWithMarker = (topic: ConsumedTopic, marker: string) => (m: CollectedMessage) =>
    m.topic === `${topic}.DLQ` && m.rawHeaders.marker?.toString() === marker;

  it('dead-letters invalid JSON keyed {"k":1} with the key bytes unchanged, and goes on applying', async () => {
    const { eventId, sessionIds } = await readySessions(1);
    await send(Topics.CHECKOUT_COMPLETED, 'not json', '{"k":1}', { marker: `a-${eventId}` });
    await send(Topics.CHECKOUT_COMPLETED, JSON.stringify({ session_id: sessionIds[0] }), eventId);

    const [dead] = await collector.waitFor(
      'CHECKOUT_COMPLETED.DLQ',
      dlqWithMarker(Topics.CHECKOUT_COMPLETED, `a-${eventId}`),
    );
    expect(dead.rawKey).toEqual(Buffer.from('{"k":1}'));
    expect(dead.raw).toEqual(Buffer.from('not json'));
    expect(dead.headers.error).toMatch(/invalid JSON/);
    await eventually(
      () => statusOf(sessionIds[0]),
      (s) => s === 'completed',
    );
  });

  it('keeps a non-UTF-8 key and JSON-looking headers as the original bytes', async () => {
    const { eventId, sessionIds } = await readySessions(1);
    const key = Buffer.from('fffe0080', 'hex');
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x7b]);
    await send(Topics.CHECKOUT_FAILED, '{"no_session": true}', key, {
      marker: `b-${eventId}`,
      trace: '{"a":1}',
      list: '[1,2,3]',
      binary,
    });
    await send(Topics.CHECKOUT_FAILED, JSON.stringify({ session_id: sessionIds[0] }), eventId, {
      trace: '{"a":1}',
    });

    const [dead] = await collector.waitFor(
      'CHECKOUT_FAILED.DLQ',
      dlqWithMarker(Topics.CHECKOUT_FAILED, `b-${eventId}`),
    );
    expect(dead.rawKey).toEqual(key);
    expect(dead.rawHeaders.trace).toEqual(Buffer.from('{"a":1}'));
    expect(dead.rawHeaders.list).toEqual(Buffer.from('[1,2,3]'));
    expect(dead.rawHeaders.binary).toEqual(binary);
    expect(dead.headers.error).toMatch(/session_id/);
    expect(dead.headers.original_topic).toBe(Topics.CHECKOUT_FAILED);
    // The valid message with a JSON-looking header was applied, not dead-lettered.
    await eventually(
      () => statusOf(sessionIds[0]),
      (s) => s === 'failed',
    );
  });

  it('applies a valid message carrying an unknown field nested 2,000 deep, and optional fields of the wrong type', async () => {
    const { sessionIds } = await readySessions(3);
    const deep = '['.repeat(2000) + ']'.repeat(2000);
    await send(Topics.CHECKOUT_COMPLETED, `{"session_id":"${sessionIds[0]}","extra":${deep}}`, null);
    await send(
      Topics.CHECKOUT_COMPLETED,
      JSON.stringify({ session_id: sessionIds[1], timestamp: 1700000000000 }),
      null,
    );
    await send(
      Topics.CHECKOUT_EXPIRED,
      JSON.stringify({ session_id: sessionIds[2], event_id: 5, order_id: {} }),
      null,
    );
    await eventually(
      () => statusOf(sessionIds[0]),
      (s) => s === 'completed',
    );
    await eventually(
      () => statusOf(sessionIds[1]),
      (s) => s === 'completed',
    );
    await eventually(
      () => statusOf(sessionIds[2]),
      (s) => s === 'expired',
    );
  });

  it('dead-letters a ~1 MB invalid value as a truncated copy with the reason and the original coordinates', async () => {
    const { eventId, sessionIds } = await readySessions(1);
    const big = Buffer.alloc(1_000_000, 0x78); // "xxxx…": not JSON
    await send(Topics.CHECKOUT_EXPIRED, big, `big-${eventId}`, { marker: `c-${eventId}` });
    await send(Topics.CHECKOUT_EXPIRED, JSON.stringify({ session_id: sessionIds[0] }), eventId);

    const [dead] = await collector.waitFor(
      'CHECKOUT_EXPIRED.DLQ',
      dlqWithMarker(Topics.CHECKOUT_EXPIRED, `c-${eventId}`),
    );
    expect(dead.rawKey).toEqual(Buffer.from(`big-${eventId}`));
    expect(dead.headers.dlq_truncated).toBeDefined();
    expect(dead.headers.original_value_bytes).toBe('1000000');
    expect(dead.headers.original_topic).toBe(Topics.CHECKOUT_EXPIRED);
    expect(Number(dead.headers.original_offset)).toBeGreaterThanOrEqual(0);
    expect(dead.raw!.length).toBeLessThan(big.length);
    expect(big.subarray(0, dead.raw!.length).equals(dead.raw!)).toBe(true);
    await eventually(
      () => statusOf(sessionIds[0]),
      (s) => s === 'expired',
    );
  });

  it('takes 1,000 crafted records mixed with valid ones: no crash, every valid one applied, every invalid one dead-lettered, lag 0', async () => {
    const { eventId, sessionIds } = await readySessions(100);
    const restartsBefore = state.restarts;
    const run = `m-${eventId}`;
    const kinds: { value: Buffer | string | null; key: Buffer | string | null; headers?: IHeaders }[] = [
      { value: 'not json', key: '{"k":1}' },
      { value: '{"session_id": 5}', key: '[1,2]' },
      { value: '[]', key: Buffer.from('fffe0080', 'hex') },
      { value: 'null', key: null, headers: { trace: '{"a":1}' } },
      { value: null, key: 'tombstone' },
      { value: '{"session_id": ""}', key: '{', headers: { nested: '[[[[', empty: '' } },
      { value: Buffer.from([0xff, 0xfe, 0x00]), key: Buffer.alloc(0) },
      { value: '{"session_id": {"$ne": null}}', key: '"quoted"' },
      { value: '{'.repeat(5000), key: 'deep' },
      { value: 'x'.repeat(100_000), key: 'x'.repeat(10_000), headers: { big: 'y'.repeat(50_000) } },
    ];
    const valid: string[] = [];
    let invalid = 0;
    let next = 0;
    const batch: {
      topic: string;
      messages: { key: Buffer | string | null; value: Buffer | string | null; headers: IHeaders }[];
    }[] = ConsumedTopics.map((topic) => ({ topic, messages: [] }));
    for (let i = 0; i < 1000; i++) {
      const topic = batch[i % 3];
      if (i % 10 === 0 && next < sessionIds.length) {
        const sessionId = sessionIds[next++];
        valid.push(sessionId);
        topic.messages.push({
          key: eventId,
          value: JSON.stringify({ session_id: sessionId }),
          headers: { run },
        });
      } else {
        const kind = kinds[i % kinds.length];
        invalid++;
        topic.messages.push({
          key: kind.key,
          value: kind.value,
          headers: { ...kind.headers, run, seq: String(i) },
        });
      }
    }
    // In slices: one produce request must stay under the broker's size limit.
    for (const { topic, messages } of batch) {
      for (let i = 0; i < messages.length; i += 20)
        await producer.send({ topic, messages: messages.slice(i, i + 20) });
    }

    await eventually(
      async () =>
        DLQS.reduce(
          (n, topic) => n + collector.matching(topic, (m) => m.rawHeaders.run?.toString() === run).length,
          0,
        ),
      (n) => n >= invalid,
      60000,
      200,
    );
    for (const topic of batch) {
      for (const sent of topic.messages.filter((m) => m.headers.seq !== undefined)) {
        const copy = collector.matching(
          `${topic.topic}.DLQ`,
          (m) => m.rawHeaders.run?.toString() === run && m.rawHeaders.seq?.toString() === sent.headers.seq,
        );
        expect(copy).toHaveLength(1);
        expect(copy[0].rawKey).toEqual(sent.key === null ? null : Buffer.from(sent.key));
      }
    }
    for (const sessionId of valid)
      expect(['completed', 'failed', 'expired']).toContain(await statusOf(sessionId));
    expect(state.restarts).toBe(restartsBefore);
    expect(state.status).toBe('running');
    await eventually(
      () => consumerGroupLag(CONSUMER_GROUP_ID, [...ConsumedTopics]),
      (lag) => lag === 0,
      30000,
      500,
    );
    const ready = await svc.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.checkout_consumer.consumer_status).toBe('running');
  });
});
