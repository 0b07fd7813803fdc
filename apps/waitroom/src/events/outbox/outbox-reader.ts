import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { workerThreadEntry } from '../../common/worker-thread-entry';
import { Environment } from '../../config/environment';
import { redisConnectionSettings } from '../../redis/redis-client';
import { AdmissionTokenService } from '../../tokens/admission-token.service';
import { sessionTicketKeyInUse } from '../../queue/session-ticket';
import { toOutboxBatch, type OutboxBatch, type OutboxMessage } from './outbox-messages';
import { OutboxRepository } from './outbox.repository';
import {
  READER_THREAD_MARK,
  type ReadRequest,
  type ReaderThreadReply,
  type ReaderThreadSetup,
  type WireBatch,
} from './outbox-reader.thread';

/** After the thread stops, the next start is tried this long after, doubling up to the maximum. */
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;

interface Pending {
  resolve: (batch: OutboxBatch | null) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Reads an event's outbox in batches and maps the entries to their Kafka messages, for the relay.
 *
 * With OUTBOX_READER_THREAD on (the default), the reading and mapping run on a worker thread
 * (outbox-reader.thread.ts), beside the main thread that sends: the relay's throughput is then
 * bounded by kafkajs's encoding alone instead of by the sum of both
 * (docs/decisions/0016-outbox-reader-thread.md). Until the thread is ready, and whenever it has
 * stopped (a crash, a reply that never came), batches are read on the main thread as before, and
 * a new thread is started after a growing pause: the relay slows down, it never stops.
 */
@Injectable()
export class OutboxReader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxReader.name);
  private thread: Worker | null = null;
  private threadReady = false;
  /** The session ticket key the current thread was last sent (undefined: none yet). */
  private ticketKeySent: Buffer | null | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private restartDelayMs = RESTART_MIN_MS;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  /** How the batches were read, for the metrics and the tests. */
  readonly stats = { threadBatches: 0, mainThreadBatches: 0, threadStarts: 0, threadFailures: 0 };

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly tokens: AdmissionTokenService,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.OUTBOX_READER_THREAD) this.startThread();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.stopThread(new Error('the service is stopping'));
  }

  /** Whether batches are read on the reader thread right now. */
  get onThread(): boolean {
    return this.threadReady;
  }

  /** Up to OUTBOX_BATCH_SIZE entries after `afterId` (from the oldest when null), as messages; null when none. */
  async read(eventId: string, afterId: string | null): Promise<OutboxBatch | null> {
    const count = this.env.OUTBOX_BATCH_SIZE;
    if (this.thread && this.threadReady) {
      const batch = await this.readOnThread(this.thread, eventId, afterId, count);
      this.stats.threadBatches++;
      return batch;
    }
    const entries = await this.outbox.oldest(eventId, count, afterId);
    this.stats.mainThreadBatches++;
    return toOutboxBatch(eventId, entries, this.tokens);
  }

  private readOnThread(
    thread: Worker,
    eventId: string,
    afterId: string | null,
    count: number,
  ): Promise<OutboxBatch | null> {
    const id = this.nextRequestId++;
    return new Promise<OutboxBatch | null>((resolve, reject) => {
      // The thread's own Redis calls time out; a reply that does not come at all means the thread is stuck.
      const timer = setTimeout(() => {
        void this.threadFailed(thread, new Error('the outbox reader thread did not answer in time'));
      }, this.replyTimeoutMs());
      this.pending.set(id, { resolve, reject, timer });
      const request: ReadRequest = { type: 'read', id, eventId, afterId, count };
      // The ticket key in use now, so that the ids the thread builds are those this thread's join
      // replies give; sent when it changed only, copied out of the buffer pool it may share (a
      // message copies a view's whole underlying memory).
      const ticketKey = sessionTicketKeyInUse();
      if (ticketKey !== this.ticketKeySent) {
        request.ticketKey = ticketKey && new Uint8Array(ticketKey);
        this.ticketKeySent = ticketKey;
      }
      thread.postMessage(request);
    });
  }

  private replyTimeoutMs(): number {
    return Math.max(5000, 3 * this.env.REDIS_COMMAND_TIMEOUT_MS);
  }

  private startThread(): void {
    if (this.stopped) return;
    const { file, execArgv, env } = workerThreadEntry(__dirname, 'outbox-reader');
    const thread = new Worker(file, { workerData: READER_THREAD_MARK, execArgv, env });
    this.stats.threadStarts++;
    // The thread must not keep the process alive on its own: shutdown stops it, and an exit does not wait.
    thread.unref();
    this.thread = thread;
    this.ticketKeySent = undefined;
    thread.on('message', (reply: ReaderThreadReply) => this.onReply(thread, reply));
    thread.on('error', (error) => void this.threadFailed(thread, error));
    thread.on(
      'exit',
      (code) => void this.threadFailed(thread, new Error(`the outbox reader thread exited (code ${code})`)),
    );
    thread.postMessage({
      type: 'setup',
      redis: {
        ...redisConnectionSettings(this.env),
        REDIS_KEY_PREFIX: this.env.REDIS_KEY_PREFIX,
        OUTBOX_ENTRY_FORMAT: this.env.OUTBOX_ENTRY_FORMAT,
        // Its reads wait on the relay's sends, never on each other: nothing to group.
        REDIS_WRITE_COALESCING: false,
      },
      signer: this.tokens.signerSettings(),
    } satisfies ReaderThreadSetup);
  }

  private onReply(thread: Worker, reply: ReaderThreadReply): void {
    if (thread !== this.thread) return;
    if (reply.type === 'ready') {
      this.threadReady = true;
      this.restartDelayMs = RESTART_MIN_MS;
      return;
    }
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.type === 'batch') pending.resolve(reply.batch && fromWire(reply.batch));
    else pending.reject(new Error(reply.message));
  }

  /** The thread stopped or hung: its requests fail (the relay retries them), reads move to the main thread, a new thread follows. */
  private async threadFailed(thread: Worker, error: Error): Promise<void> {
    if (thread !== this.thread) return;
    if (!this.stopped) {
      this.stats.threadFailures++;
      this.logger.warn(
        `${error.message}; reading the outbox on the main thread, starting a new reader thread in ${this.restartDelayMs} ms`,
      );
      this.restartTimer = setTimeout(() => this.startThread(), this.restartDelayMs);
      this.restartTimer.unref();
      this.restartDelayMs = Math.min(RESTART_MAX_MS, this.restartDelayMs * 2);
    }
    await this.stopThread(error);
  }

  private async stopThread(error: Error): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    this.threadReady = false;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    if (thread) await thread.terminate().catch(() => undefined);
  }
}

/** The batch the main thread gets back from the thread's strings. */
function fromWire({ size, lastId, topics, values, messageIds, unreadable }: WireBatch): OutboxBatch {
  const messages = new Array<OutboxMessage>(values.length);
  for (let i = 0; i < values.length; i++)
    messages[i] = { topic: topics[i], value: values[i], messageId: messageIds[i] };
  return { messages, size, lastId, unreadable };
}
