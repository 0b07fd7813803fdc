import { Topics } from '@waitroom/contracts';
import type { Worker } from 'node:worker_threads';
import { toOutboxEntries } from '../apps/waitroom/src/events/outbox/outbox-entry';
import { toOutboxRecord } from '../apps/waitroom/src/events/outbox/outbox-messages';
import { OutboxReader } from '../apps/waitroom/src/events/outbox/outbox-reader';
import { OutboxRelayService } from '../apps/waitroom/src/events/outbox/outbox-relay.service';
import { AdmissionTokenService } from '../apps/waitroom/src/tokens/admission-token.service';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { TopicCollector } from './support/kafka';

const BATCH = 7;
const JOINS = 60;
const TOPICS = [Topics.QUEUE_JOINED, Topics.QUEUE_LEFT, Topics.QUEUE_READY];

/**
 * The relay reads the next batch while the broker acknowledges the current one: across many
 * batches, an event's messages still reach Kafka once each and in the order of its outbox, and an
 * unreadable entry read ahead is set aside without holding up the rest. Batches are read and
 * mapped on the reader thread (OUTBOX_READER_THREAD, the default) or on the main thread, with
 * the same records either way.
 */
describe.each([
  { mode: 'on the reader thread, entries packed', thread: true, format: 'packed' },
  { mode: 'on the main thread, entries packed', thread: false, format: 'packed' },
  // How entries are written while a deployment is upgraded from a version before the packed format.
  { mode: 'on the reader thread, entries as field-value pairs', thread: true, format: 'fields' },
])('the outbox relay, batches read $mode', ({ thread, format }) => {
  let svc: RunningApp;
  let collector: TopicCollector;
  let reader: OutboxReader;

  beforeAll(async () => {
    // The relay's own passes come a minute apart (its first, at start, finds nothing): each test
    // runs the pass that finds its backlog waiting.
    svc = await startApp({
      env: {
        OUTBOX_BATCH_SIZE: String(BATCH),
        OUTBOX_RELAY_INTERVAL_MS: '60000',
        OUTBOX_READER_THREAD: String(thread),
        OUTBOX_ENTRY_FORMAT: format,
      },
    });
    collector = await TopicCollector.start(TOPICS);
    reader = svc.app.get(OutboxReader);
    if (thread)
      await eventually(
        async () => reader.onThread,
        (ready) => ready,
      );
  });
  afterAll(async () => {
    await collector?.stop();
    await svc?.close();
  });

  /** Runs one relay pass over the event and says where its batches were read. */
  async function relayPass(
    eventId: string,
  ): Promise<{ published: number; onThread: number; onMain: number }> {
    const before = { ...reader.stats };
    const published = await svc.app.get(OutboxRelayService).passOverAllEvents([eventId]);
    return {
      published,
      onThread: reader.stats.threadBatches - before.threadBatches,
      onMain: reader.stats.mainThreadBatches - before.mainThreadBatches,
    };
  }

  it('publishes a backlog of many batches once each, in outbox order, quarantining bad entries read ahead', async () => {
    const redis = svc.redis;
    const eventId = await svc.http.createEvent('relay-batches', { capacity: 10, state: 'paused' });
    const outbox = redis.keys.forEvent(eventId).outbox;
    const sessionIds: string[] = [];
    for (let i = 0; i < JOINS; i++) {
      // An entry no version can publish, inside the third batch (read ahead while the second is sent).
      if (i === 2 * BATCH + 3)
        await redis.client.xadd(outbox, '*', 'k', 'promoted', 'm', 'future-batch', 'at', String(Date.now()));
      // A packed entry cut short, in the fifth batch.
      if (i === 4 * BATCH + 1) await redis.client.xadd(outbox, '*', 'e1', 'joined\x1fcut-short');
      const response = await svc.http.join(`batch-${i}`, eventId);
      expect(response.status).toBe(201);
      sessionIds.push(response.body.session_id as string);
    }
    expect(await redis.client.xlen(outbox)).toBe(JOINS + 2);

    const pass = await relayPass(eventId);
    expect(pass.published).toBe(JOINS);
    const batches = Math.ceil((JOINS + 2) / BATCH);
    expect(thread ? pass.onThread : pass.onMain).toBe(batches);
    expect(thread ? pass.onMain : pass.onThread).toBe(0);
    expect(await redis.client.xlen(outbox)).toBe(0);
    const quarantined = await redis.client.xrange(redis.keys.forEvent(eventId).outboxQuarantine, '-', '+');
    expect(quarantined.map(([, flat]) => flat[3])).toEqual([
      'outbox entry of unknown kind promoted',
      'outbox entry of unknown kind (a packed entry of 2 values)',
    ]);

    const received = await collector.waitFor(Topics.QUEUE_JOINED, (m) => m.key === eventId, JOINS);
    // One partition per event: offsets order the messages as the broker holds them.
    const inOrder = [...received].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    expect(inOrder.map((m) => m.body.session_id)).toEqual(sessionIds);
    expect(inOrder.map((m) => m.body.position)).toEqual(sessionIds.map((_, i) => i + 1));
  });

  it('publishes every kind of message byte for byte as the main thread maps it, tokens and session ids included', async () => {
    const redis = svc.redis;
    const eventId = await svc.http.createEvent('relay-kinds', { capacity: 3, state: 'open' });
    const sessionIds: string[] = [];
    for (let i = 0; i < 6; i++) sessionIds.push((await svc.http.join(`kinds-${i}`, eventId)).body.session_id);
    expect((await svc.http.delete(`/api/v1/waitroom/sessions/${sessionIds[5]}`)).status).toBe(200);
    // The admission step (every ADMISSION_TICK_MS) admits the first three: QUEUE_READY, each with a signed token.
    const outbox = redis.keys.forEvent(eventId).outbox;
    const rows = await eventually(
      () => redis.client.xrange(outbox, '-', '+'),
      (entries) => toOutboxEntries(entries).filter((entry) => entry.fields.k === 'ready').length === 3,
    );
    // Written in the configured format: one `e1` field, or field-value pairs starting with the kind.
    expect(new Set(rows.map(([, flat]) => flat[0]))).toEqual(new Set([format === 'packed' ? 'e1' : 'k']));
    const expected = toOutboxEntries(rows).map((entry) =>
      toOutboxRecord(eventId, entry.fields, svc.app.get(AdmissionTokenService)),
    );
    expect(expected.map((record) => record.topic).sort()).toEqual(
      [...Array(6).fill(Topics.QUEUE_JOINED), Topics.QUEUE_LEFT, ...Array(3).fill(Topics.QUEUE_READY)].sort(),
    );

    const pass = await relayPass(eventId);
    expect(pass.published).toBe(expected.length);
    expect(thread ? pass.onThread : pass.onMain).toBeGreaterThan(0);

    const received = await Promise.all(
      TOPICS.map((topic) =>
        collector.waitFor(topic, (m) => m.key === eventId, expected.filter((r) => r.topic === topic).length),
      ),
    );
    const byValue = (a: { value: string }, b: { value: string }) => a.value.localeCompare(b.value);
    const published = received
      .flat()
      .map((m) => ({ topic: m.topic, key: m.key, value: m.raw!.toString('utf8'), headers: m.headers }));
    expect(published.sort(byValue)).toEqual(
      expected.map((r) => ({ ...r, headers: { ...r.headers } })).sort(byValue),
    );
    // The ids people hold and the tokens GET returns are the ones published.
    for (const message of received.flat().filter((m) => m.topic === Topics.QUEUE_READY)) {
      const status = await svc.http.get(`/api/v1/waitroom/sessions/${message.body.session_id}`);
      expect(status.body.admission_token).toBe(message.body.admission_token);
    }
    expect(new Set(received.flat().map((m) => m.body.session_id))).toEqual(new Set(sessionIds));
  });

  if (thread)
    it('keeps publishing on the main thread when the reader thread stops, and starts a new thread', async () => {
      const eventId = await svc.http.createEvent('relay-thread-crash', { capacity: 10, state: 'paused' });
      const starts = reader.stats.threadStarts;
      for (let i = 0; i < BATCH + 2; i++)
        expect((await svc.http.join(`crash-${i}`, eventId)).status).toBe(201);
      // The thread dies as a crash would have it: without a word to the main thread. The pass
      // right after starts well within the pause before a new thread is started (on a loaded box
      // the new one may be up for its second batch).
      await (reader['thread'] as Worker).terminate();
      expect(reader.onThread).toBe(false);
      const onMain = await relayPass(eventId);
      expect(onMain.published).toBe(BATCH + 2);
      expect(onMain.onMain).toBeGreaterThanOrEqual(1);
      expect(onMain.onMain + onMain.onThread).toBe(2);

      await eventually(
        async () => reader.onThread,
        (ready) => ready,
      );
      expect(reader.stats.threadStarts).toBe(starts + 1);
      for (let i = 0; i < 3; i++) expect((await svc.http.join(`again-${i}`, eventId)).status).toBe(201);
      expect(await relayPass(eventId)).toEqual({ published: 3, onThread: 1, onMain: 0 });
      await collector.waitFor(Topics.QUEUE_JOINED, (m) => m.key === eventId, BATCH + 5);
      // An operator sees the restart and where batches were read.
      const metrics = (await svc.http.get('/metrics')).body as string;
      expect(metrics).toMatch(/^waitroom_outbox_reader_thread_failures_total 1$/m);
      expect(metrics).toMatch(/^waitroom_outbox_batches_read_total\{read_on="main"\} [1-9]\d*$/m);
      expect(metrics).toMatch(/^waitroom_outbox_batches_read_total\{read_on="thread"\} [1-9]\d*$/m);
    });
});
