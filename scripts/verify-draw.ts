/**
 * Verifies an event's pre-queue draw from public data only (README "Auditable draw"):
 *
 *   npx ts-node --transpile-only scripts/verify-draw.ts <event_id>     (or: make verify-draw EVENT=<event_id>)
 *
 * 1. GET $WAITROOM_URL/api/v1/waitroom/events/<event_id>/draw: the revealed seed must hash
 *    (SHA-256) to the commitment published before opening.
 * 2. Reads the event's QUEUE_JOINED, QUEUE_READY and QUEUE_LEFT from Kafka ($KAFKA_BROKERS), from
 *    the beginning up to where each partition ends now, with a consumer group of its own that
 *    commits nothing and is deleted afterwards (never the service's group).
 * 3. The pre-queue = sessions whose QUEUE_JOINED has joined_at < opens_at. Their expected order is
 *    priority descending, then draw ascending, draw = first 5 bytes of sha1(seed || 0x00 ||
 *    user_id) as a big-endian integer (equal draws: either order). Checks that the pre-queue
 *    people appear in QUEUE_READY (by admitted_at, then offset) in that order, and that nobody
 *    of the pre-queue was still waiting (not admitted, not left) when someone drawn behind them
 *    was admitted. People who left before their turn are skipped.
 *
 * Exit 0: the order follows the draw. 1: it does not (the first differing place is printed).
 * 2: cannot verify (no draw for the event, the seed not revealed yet, Kafka or the service unreachable).
 *
 * Env: WAITROOM_URL (http://127.0.0.1:8080), KAFKA_BROKERS (127.0.0.1:9092),
 * VERIFY_TIMEOUT_SECONDS (60): how long reading Kafka may take. Self-contained on purpose (node's
 * crypto and kafkajs only), so anyone can read it against the algorithm /draw publishes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type PartitionMetadata } from 'kafkajs';

export interface DrawInfo {
  event_id: string;
  opens_at: string | null;
  seed_commitment: string;
  seed?: string;
  algorithm?: string;
}

export interface JoinedRecord {
  session_id: string;
  user_id: string;
  priority: number;
  joined_at: string;
}

export interface ReadyRecord {
  session_id: string;
  user_id: string;
  admitted_at: string;
}

export interface LeftRecord {
  session_id: string;
  left_at: string;
}

/** What the verdict is computed from; `ready` in admission order (admitted_at, then offset). */
export interface DrawEvidence {
  draw: DrawInfo;
  joined: JoinedRecord[];
  ready: ReadyRecord[];
  left: LeftRecord[];
}

export interface Verdict {
  /** 0 OK, 1 mismatch, 2 cannot verify (the process exit code). */
  exitCode: 0 | 1 | 2;
  /** One line: OK / MISMATCH / CANNOT VERIFY and why. */
  summary: string;
  /** More lines (the first differing place, counts). */
  details: string[];
  preQueue: number;
  admitted: number;
}

/** The published draw: first 5 bytes of sha1(seed || 0x00 || user_id), big-endian. */
export function drawNumber(seed: string, userId: string): number {
  const hash = createHash('sha1').update(
    Buffer.concat([Buffer.from(seed), Buffer.from([0]), Buffer.from(userId)]),
  );
  return hash.digest().readUIntBE(0, 5);
}

interface Drawn {
  session_id: string;
  user_id: string;
  priority: number;
  draw: number;
}

/** Serving order of the pre-queue: higher priority first, then the lower draw. 0 = a tie. */
function compareDrawn(a: Drawn, b: Drawn): number {
  return b.priority - a.priority || a.draw - b.draw;
}

function describe(person: Drawn): string {
  return `session ${person.session_id} (user ${JSON.stringify(person.user_id)}, priority ${person.priority}, draw ${person.draw})`;
}

export function verifyDraw(evidence: DrawEvidence): Verdict {
  const { draw } = evidence;
  const cannot = (summary: string): Verdict => ({
    exitCode: 2,
    summary: `CANNOT VERIFY: ${summary}`,
    details: [],
    preQueue: 0,
    admitted: 0,
  });
  if (!draw.seed)
    return cannot(`the seed of ${draw.event_id} is not revealed yet (opens_at ${draw.opens_at})`);
  if (draw.opens_at === null) return cannot(`${draw.event_id} has no opens_at, so no pre-queue`);
  const commitment = createHash('sha256').update(draw.seed).digest('hex');
  if (commitment !== draw.seed_commitment.toLowerCase()) {
    return {
      exitCode: 1,
      summary: `MISMATCH: the revealed seed does not match the commitment published before opening`,
      details: [`sha256(seed) = ${commitment}`, `seed_commitment = ${draw.seed_commitment}`],
      preQueue: 0,
      admitted: 0,
    };
  }
  const opensAt = Date.parse(draw.opens_at);
  const seed = draw.seed;

  // The pre-queue (deliveries are at-least-once: a session counts once).
  const preQueue = new Map<string, Drawn>();
  for (const joined of evidence.joined) {
    if (preQueue.has(joined.session_id) || !(Date.parse(joined.joined_at) < opensAt)) continue;
    preQueue.set(joined.session_id, {
      session_id: joined.session_id,
      user_id: joined.user_id,
      priority: joined.priority,
      draw: drawNumber(seed, joined.user_id),
    });
  }

  // The pre-queue people in the order they were admitted.
  const admitted: (Drawn & { admittedAtMs: number })[] = [];
  const seen = new Set<string>();
  for (const ready of evidence.ready) {
    const person = preQueue.get(ready.session_id);
    if (!person || seen.has(ready.session_id)) continue;
    seen.add(ready.session_id);
    admitted.push({ ...person, admittedAtMs: Date.parse(ready.admitted_at) });
  }

  const counts = (extra: string[]): string[] => [
    `${preQueue.size} joined before opening (${draw.opens_at}), ${admitted.length} of them admitted so far`,
    ...extra,
  ];
  const mismatch = (summary: string, details: string[]): Verdict => ({
    exitCode: 1,
    summary: `MISMATCH: ${summary}`,
    details: counts(details),
    preQueue: preQueue.size,
    admitted: admitted.length,
  });

  // 1. Admissions of the pre-queue follow the draw: compare with the expected order, place by place.
  //    One admission step admits its people at one instant (the same admitted_at: a sharded
  //    event's shards publish theirs from their own outboxes, in any order), so within one
  //    instant the draw orders them.
  admitted.sort((a, b) => a.admittedAtMs - b.admittedAtMs || compareDrawn(a, b));
  const expected = [...admitted].sort(compareDrawn);
  for (let i = 0; i < admitted.length; i++) {
    if (compareDrawn(admitted[i], expected[i]) !== 0) {
      return mismatch(`place ${i + 1} of the pre-queue's admissions differs from the draw`, [
        `expected: ${describe(expected[i])}`,
        `admitted: ${describe(admitted[i])}`,
      ]);
    }
  }

  // 2. Nobody of the pre-queue was passed over: whoever was not admitted had left before the
  //    first person drawn behind them was admitted (or nobody behind them has been admitted yet).
  const leftAt = new Map<string, number>();
  for (const left of evidence.left) {
    const at = Date.parse(left.left_at);
    if (!leftAt.has(left.session_id) || at < leftAt.get(left.session_id)!) leftAt.set(left.session_id, at);
  }
  let waiting = 0;
  let left = 0;
  for (const person of preQueue.values()) {
    if (seen.has(person.session_id)) continue;
    const gone = leftAt.get(person.session_id);
    if (gone === undefined) waiting++;
    else left++;
    // `admitted` is in draw order now: the first one drawn behind this person.
    const behind = admitted.find((other) => compareDrawn(person, other) < 0);
    if (behind && behind.admittedAtMs < (gone ?? Infinity)) {
      return mismatch(`${describe(person)} was passed over`, [
        `${describe(behind)} was admitted at ${new Date(behind.admittedAtMs).toISOString()}, while the first was ` +
          (gone === undefined
            ? 'still waiting (never admitted, never left)'
            : `waiting until ${new Date(gone).toISOString()}`),
      ]);
    }
  }

  return {
    exitCode: 0,
    summary:
      `OK: ${draw.event_id}: the seed matches its commitment and the ${admitted.length} admissions of the ` +
      `pre-queue follow the draw`,
    details: counts([`${left} left before their turn, ${waiting} still waiting`]),
    preQueue: preQueue.size,
    admitted: admitted.length,
  };
}

// ---------------------------------------------------------------- reading the evidence

export async function fetchDraw(waitroomUrl: string, eventId: string): Promise<DrawInfo | null> {
  const url = `${waitroomUrl.replace(/\/$/, '')}/api/v1/waitroom/events/${encodeURIComponent(eventId)}/draw`;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as DrawInfo;
}

const TOPICS = ['QUEUE_JOINED', 'QUEUE_READY', 'QUEUE_LEFT'] as const;
type Topic = (typeof TOPICS)[number];

interface Located<T> {
  partition: number;
  offset: bigint;
  body: T;
}

/**
 * The event's messages on the three topics, as far as each partition reached when called.
 * Only the partition its key (event_id) maps to is read, as the service's producer places them
 * (kafkajs's default partitioner, Java-compatible murmur2), unless `allPartitions`.
 */
export async function readEventMessages(options: {
  brokers: string[];
  eventId: string;
  timeoutMs: number;
  allPartitions?: boolean;
}): Promise<{ joined: JoinedRecord[]; ready: ReadyRecord[]; left: LeftRecord[] }> {
  const kafka = new Kafka({
    clientId: 'waitroom-verify-draw',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `waitroom-verify-draw-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [...TOPICS] });
    const partitioner = Partitioners.DefaultPartitioner();
    // Where to read, per topic: partition -> [low, high) as of now. QUEUE_LEFT's ends are taken
    // last: a departure before an admission was published before it.
    const ranges = new Map<Topic, Map<number, { low: bigint; high: bigint }>>();
    const ends: { topic: Topic; partition: number; high: string }[] = [];
    for (const topic of TOPICS) {
      const partitions: PartitionMetadata[] = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
      const mine = options.allPartitions
        ? null
        : partitioner({
            topic,
            partitionMetadata: partitions,
            message: { key: options.eventId, value: null },
          });
      const wanted = new Map<number, { low: bigint; high: bigint }>();
      for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
        ends.push({ topic, partition, high });
        if ((mine === null || partition === mine) && BigInt(high) > BigInt(low))
          wanted.set(partition, { low: BigInt(low), high: BigInt(high) });
      }
      ranges.set(topic, wanted);
    }

    const found: { [T in Topic]: Located<Record<string, unknown>>[] } = {
      QUEUE_JOINED: [],
      QUEUE_READY: [],
      QUEUE_LEFT: [],
    };
    const pending = new Set<string>();
    for (const [topic, partitions] of ranges) for (const p of partitions.keys()) pending.add(`${topic}/${p}`);

    if (pending.size > 0) {
      await consumer.connect();
      await consumer.subscribe({ topics: [...TOPICS], fromBeginning: true });
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const topic = batch.topic as Topic;
          const range = ranges.get(topic)?.get(batch.partition);
          if (!range) return;
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset >= range.high) break;
            if (message.key?.toString() !== options.eventId || !message.value) continue;
            try {
              const body = JSON.parse(message.value.toString('utf8')) as Record<string, unknown>;
              if (body.event_id === options.eventId)
                found[topic].push({ partition: batch.partition, offset, body });
            } catch {
              // not one of ours: the service only produces JSON
            }
          }
          const last = BigInt(batch.lastOffset());
          if (last + 1n >= range.high) {
            pending.delete(`${topic}/${batch.partition}`);
            if (pending.size === 0) finish();
          }
        },
      });
      for (const { topic, partition, high } of ends) {
        const range = ranges.get(topic)?.get(partition);
        // Partitions not read are moved to their end, so the group fetches nothing old from them.
        consumer.seek({ topic, partition, offset: range ? String(range.low) : high });
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading Kafka took more than ${options.timeoutMs} ms (${[...pending].join(', ')} unfinished)`,
              ),
            ),
          options.timeoutMs,
        );
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }

    const byOffset = <T>(a: Located<T>, b: Located<T>) =>
      a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    const joined = found.QUEUE_JOINED.sort(byOffset).map(({ body }) => ({
      session_id: text(body.session_id),
      user_id: text(body.user_id),
      priority: typeof body.priority === 'number' ? body.priority : 0,
      joined_at: text(body.joined_at),
    }));
    // Admission order: admitted_at, then offset (Array.prototype.sort is stable).
    const ready = found.QUEUE_READY.sort(byOffset)
      .map(({ body }) => ({
        session_id: text(body.session_id),
        user_id: text(body.user_id),
        admitted_at: text(body.admitted_at),
      }))
      .sort((a, b) => Date.parse(a.admitted_at) - Date.parse(b.admitted_at));
    const left = found.QUEUE_LEFT.map(({ body }) => ({
      session_id: text(body.session_id),
      left_at: text(body.left_at),
    }));
    return { joined, ready, left };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Fetches /draw and the Kafka messages, and judges them. Never throws: trouble is exit code 2. */
export async function verifyEventDraw(options: {
  waitroomUrl: string;
  brokers: string[];
  eventId: string;
  timeoutMs?: number;
  allPartitions?: boolean;
}): Promise<Verdict> {
  const cannot = (reason: string): Verdict => ({
    exitCode: 2,
    summary: `CANNOT VERIFY: ${reason}`,
    details: [],
    preQueue: 0,
    admitted: 0,
  });
  let draw: DrawInfo | null;
  try {
    draw = await fetchDraw(options.waitroomUrl, options.eventId);
  } catch (error) {
    return cannot(`the draw could not be read from ${options.waitroomUrl}: ${(error as Error).message}`);
  }
  if (!draw) return cannot(`no draw for ${options.eventId} (unknown event, or shuffle_at_open is off)`);
  if (!draw.seed) return verifyDraw({ draw, joined: [], ready: [], left: [] });
  try {
    const messages = await readEventMessages({
      brokers: options.brokers,
      eventId: options.eventId,
      timeoutMs: options.timeoutMs ?? 60_000,
      allPartitions: options.allPartitions,
    });
    return verifyDraw({ draw, ...messages });
  } catch (error) {
    return cannot(`Kafka could not be read (${options.brokers.join(',')}): ${(error as Error).message}`);
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const allPartitions = args.includes('--all-partitions');
  const eventId = args.find((arg) => !arg.startsWith('--')) ?? process.env.EVENT ?? process.env.EVENT_ID;
  if (!eventId) {
    process.stderr.write(
      'usage: verify-draw.ts <event_id> [--all-partitions]   (or make verify-draw EVENT=<event_id>)\n',
    );
    return 2;
  }
  const verdict = await verifyEventDraw({
    waitroomUrl: process.env.WAITROOM_URL ?? 'http://127.0.0.1:8080',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()),
    eventId,
    timeoutMs: Number(process.env.VERIFY_TIMEOUT_SECONDS ?? 60) * 1000,
    allPartitions,
  });
  process.stdout.write([verdict.summary, ...verdict.details.map((line) => `  ${line}`)].join('\n') + '\n');
  return verdict.exitCode;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`CANNOT VERIFY: ${String(error)}\n`);
      process.exit(2);
    },
  );
}
