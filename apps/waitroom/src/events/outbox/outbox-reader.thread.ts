/**
 * The relay's reader thread (a worker_threads entry point, started by OutboxReader): reads a
 * batch of an event's outbox from Redis and turns it into Kafka records, so the main thread only
 * sends. Reading (XRANGE's reply, one string per field) and mapping (the session id's mac, the
 * JSON, QUEUE_READY's token) cost about as much CPU as kafkajs's encoding of the same batch, and
 * on one thread they added up (docs/decisions/0016-outbox-reader-thread.md).
 *
 * Everything it needs comes in messages: its own Redis connection's settings, the key prefix, the
 * token signer's key, and (with the first request, and again whenever it changes) the session
 * ticket key the main thread uses, so the records are byte for byte those the main thread would
 * build. Replies carry strings only: they cross threads by a cheap copy.
 */
import type { ProducedTopic } from '@waitroom/contracts';
import { parentPort, workerData } from 'node:worker_threads';
import { RedisDoor, type RedisDoorSettings } from '../../redis/redis-door';
import { AdmissionTokenSigner, type AdmissionTokenSignerSettings } from '../../tokens/admission-token-signer';
import { useSessionTicketKey } from '../../queue/session-ticket';
import { toOutboxBatch, type OutboxBatch, type UnreadableEntry } from './outbox-messages';
import { outboxEntriesCommand } from './outbox.scripts';

/** The first message: what the thread needs to read and sign. */
export interface ReaderThreadSetup {
  type: 'setup';
  redis: RedisDoorSettings;
  signer: AdmissionTokenSignerSettings;
}

/** A request for the batch after `afterId` of an event's outbox. */
export interface ReadRequest {
  type: 'read';
  id: number;
  eventId: string;
  afterId: string | null;
  count: number;
  /** The main thread's session ticket key, when it changed since the last request (absent: as before). */
  ticketKey?: Uint8Array | null;
}

/**
 * A batch as it crosses back: parallel arrays of strings, one item per message. Copying a few
 * arrays of strings between threads costs far less than copying as many small objects.
 */
export interface WireBatch {
  size: number;
  lastId: string;
  topics: ProducedTopic[];
  values: string[];
  messageIds: string[];
  unreadable: UnreadableEntry[];
}

function toWire({ messages, size, lastId, unreadable }: OutboxBatch): WireBatch {
  return {
    size,
    lastId,
    topics: messages.map((message) => message.topic),
    values: messages.map((message) => message.value),
    messageIds: messages.map((message) => message.messageId),
    unreadable,
  };
}

export type ReaderThreadReply =
  | { type: 'ready' }
  | { type: 'batch'; id: number; batch: WireBatch | null }
  | { type: 'failed'; id: number; message: string };

function serve(port: NonNullable<typeof parentPort>): void {
  let reader: ((request: ReadRequest) => Promise<WireBatch | null>) | null = null;
  port.on('message', (message: ReaderThreadSetup | ReadRequest) => {
    if (message.type === 'setup') {
      reader = batchReader(message);
      port.postMessage({ type: 'ready' } satisfies ReaderThreadReply);
      return;
    }
    const read = reader;
    if (!read) {
      port.postMessage({
        type: 'failed',
        id: message.id,
        message: 'reader thread not set up',
      } satisfies ReaderThreadReply);
      return;
    }
    read(message).then(
      (batch) => port.postMessage({ type: 'batch', id: message.id, batch } satisfies ReaderThreadReply),
      (error: unknown) =>
        port.postMessage({
          type: 'failed',
          id: message.id,
          message: error instanceof Error ? error.message : String(error),
        } satisfies ReaderThreadReply),
    );
  });
}

function batchReader(setup: ReaderThreadSetup): (request: ReadRequest) => Promise<WireBatch | null> {
  const redis = new RedisDoor(setup.redis);
  // The main thread's own connection reports an outage; this one only fails its reads.
  redis.onConnectionError(() => undefined);
  const signer = new AdmissionTokenSigner(setup.signer);
  return async ({ eventId, afterId, count, ticketKey }) => {
    if (ticketKey !== undefined)
      useSessionTicketKey(
        ticketKey && Buffer.from(ticketKey.buffer, ticketKey.byteOffset, ticketKey.byteLength),
      );
    const entries = await redis.run(outboxEntriesCommand, {
      outboxKey: redis.keys.forEvent(eventId).outbox,
      afterId,
      count,
    });
    const batch = toOutboxBatch(eventId, entries, signer);
    return batch && toWire(batch);
  };
}

/** Set as workerData by OutboxReader: this module serves only in the thread started for it. */
export const READER_THREAD_MARK = 'waitroom-outbox-reader';

if (parentPort && workerData === READER_THREAD_MARK) serve(parentPort);
