import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import { TEST_KAFKA_BROKERS } from './test-env';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

export function testKafka(clientId = 'waitroom-tests'): Kafka {
  return new Kafka({
    clientId,
    brokers: TEST_KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

export interface CollectedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  raw: Buffer | null;
  /** The key and headers exactly as the broker holds them (the fields above are decoded as UTF-8). */
  rawKey: Buffer | null;
  rawHeaders: IHeaders;
  body: any;
}

/** A record as the tests read it: decoded for convenience, and the raw bytes beside. */
function collected(topic: string, partition: number, message: KafkaMessage): CollectedMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
  let body: unknown = null;
  try {
    body = message.value ? JSON.parse(message.value.toString('utf8')) : null;
  } catch {
    body = message.value?.toString('utf8') ?? null;
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    headers,
    raw: message.value,
    rawKey: message.key,
    rawHeaders: message.headers ?? {},
    body,
  };
}

/**
 * An independent consumer (its own group) that keeps what it reads from the moment it starts.
 * Tests filter by their own event id.
 */
export class TopicCollector {
  readonly messages: CollectedMessage[] = [];
  private consumer!: Consumer;
  /** Per `topic/partition`: where the collector started, and the offset after the last message it read. */
  private readonly startOffsets = new Map<string, bigint>();
  private readonly nextOffsets = new Map<string, bigint>();
  private topics: string[] = [];

  static async start(topics: string[]): Promise<TopicCollector> {
    const collector = new TopicCollector();
    collector.topics = topics;
    // Where each partition ends now: the collector reads from there, not through every message
    // earlier runs and benchmarks left on a long-lived local broker.
    const admin = testKafka().admin();
    await admin.connect();
    const ends = await Promise.all(
      topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
    );
    await admin.disconnect();
    collector.consumer = testKafka().consumer({ groupId: `test-collector-${randomUUID()}` });
    await collector.consumer.connect();
    await collector.consumer.subscribe({ topics, fromBeginning: true });
    await collector.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        collector.messages.push(collected(topic, partition, message));
        const key = `${topic}/${partition}`;
        const next = BigInt(message.offset) + 1n;
        if (next > (collector.nextOffsets.get(key) ?? 0n)) collector.nextOffsets.set(key, next);
      },
    });
    for (const { topic, offsets } of ends) {
      for (const { partition, high } of offsets) {
        collector.startOffsets.set(`${topic}/${partition}`, BigInt(high));
        collector.consumer.seek({ topic, partition, offset: high });
      }
    }
    return collector;
  }

  matching(
    topic: string,
    predicate: (message: CollectedMessage) => boolean = () => true,
  ): CollectedMessage[] {
    return this.messages.filter((message) => message.topic === topic && predicate(message));
  }

  async waitFor(
    topic: string,
    predicate: (message: CollectedMessage) => boolean,
    count = 1,
    timeoutMs = 30000,
  ): Promise<CollectedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.matching(topic, predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(`expected ${count} message(s) on ${topic}, saw ${found.length} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Resolves once this collector has read every message its topics hold now (each partition up to
   * its high watermark). After the broker restarts, the collector's consumer rejoins its group
   * before it reads again, which can take longer than any fixed pause.
   */
  async waitUntilCaughtUp(timeoutMs = 60_000): Promise<void> {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const ends = await Promise.all(
        this.topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
      );
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const behind = ends.flatMap(({ topic, offsets }) =>
          offsets
            .filter(({ partition, high }) => {
              const from = this.startOffsets.get(`${topic}/${partition}`) ?? 0n;
              const read = this.nextOffsets.get(`${topic}/${partition}`) ?? from;
              return read < BigInt(high);
            })
            .map(
              ({ partition, high }) =>
                `${topic}/${partition} at ${this.nextOffsets.get(`${topic}/${partition}`) ?? '-'} of ${high}`,
            ),
        );
        if (behind.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(`the collector did not catch up in ${timeoutMs} ms: ${behind.join(', ')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** waitFor the messages of one event (`event_id` in the body). */
  waitForEvent(topic: string, eventId: string, count = 1, timeoutMs = 30000): Promise<CollectedMessage[]> {
    return this.waitFor(topic, (message) => message.body?.event_id === eventId, count, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export async function testProducer(): Promise<Producer> {
  const producer = testKafka('checkout-simulator').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export async function sendRaw(
  producer: Producer,
  topic: string,
  value: string | Buffer,
  key?: string,
  headers?: IHeaders,
): Promise<void> {
  await producer.send({ topic, messages: [{ key: key ?? null, value, headers }] });
}

/** What checkout reports on `topic` (CHECKOUT_COMPLETED, ...) for a session: `{ session_id, ...fields }`, keyed by event. */
export function sendCheckoutOutcome(
  producer: Producer,
  topic: string,
  sessionId: string,
  eventId: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  return sendRaw(producer, topic, JSON.stringify({ session_id: sessionId, ...fields }), eventId);
}

/** Stops or starts the stack's broker (scripts/stack.sh), for outage tests. */
export async function kafkaBroker(action: 'stop-kafka' | 'start-kafka'): Promise<void> {
  await run(join(ROOT, 'scripts', 'stack.sh'), [action], { cwd: ROOT, timeout: 120000 });
}

/** Runs one of Kafka's own command-line tools through scripts/kafka-cli.sh. */
export async function kafkaCli(args: string[]): Promise<string> {
  const { stdout } = await run(join(ROOT, 'scripts', 'kafka-cli.sh'), args, { cwd: ROOT, timeout: 120000 });
  return stdout;
}

/** Messages on `topics` that consumer group `groupId` has not committed yet (a partition never committed counts whole). */
export async function consumerGroupLag(groupId: string, topics: string[]): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const { topic, partitions } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const { partition, high, low } of ends) {
        const offset = partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        const from = offset === '-1' ? Number(low) : Number(offset);
        lag += Math.max(0, Number(high) - from);
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/**
 * SIGKILLs the stack's broker (scripts/stack.sh kill-kafka): a crash, not the graceful stop of
 * {@link kafkaBroker}('stop-kafka'). Start it again with kafkaBroker('start-kafka'). The script
 * reads WAITROOM_STACK_DIR, KAFKA_PORT and KAFKA_CONTROLLER_PORT from this process's environment,
 * so a test pointed at another broker (TEST_KAFKA_BROKERS) can kill that one instead.
 */
export async function killKafkaBroker(): Promise<void> {
  await run(join(ROOT, 'scripts', 'stack.sh'), ['kill-kafka'], { cwd: ROOT, timeout: 60000 });
}

/** Where each partition of `topic` ends now (the offset the next message will get). */
export async function topicEndOffsets(topic: string): Promise<Map<number, bigint>> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every message of `topic` from the offsets `from` (e.g. {@link topicEndOffsets} taken earlier) up
 * to where each partition ends when this is called: a read from the log itself, independent of
 * any consumer that was connected while the broker went away. Partitions absent from `from` are
 * read from their beginning.
 */
export async function readTopicRange(
  topic: string,
  from: Map<number, bigint>,
  timeoutMs = 60000,
): Promise<CollectedMessage[]> {
  const until = await topicEndOffsets(topic);
  const pending = new Set(
    [...until].filter(([partition, end]) => end > (from.get(partition) ?? 0n)).map(([p]) => p),
  );
  const messages: CollectedMessage[] = [];
  if (pending.size === 0) return messages;
  const consumer = testKafka().consumer({ groupId: `test-range-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        const end = until.get(partition) ?? 0n;
        if (offset >= (from.get(partition) ?? 0n) && offset < end) {
          messages.push(collected(topic, partition, message));
        }
        if (offset >= end - 1n && pending.delete(partition) && pending.size === 0) done();
      },
    });
    for (const partition of pending)
      consumer.seek({ topic, partition, offset: String(from.get(partition) ?? 0n) });
    await Promise.race([
      finished,
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(
                `reading ${topic}: partitions ${[...pending].join(',')} not read to their end in ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        ),
      ),
    ]);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
