import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Environment } from '../../config/environment';
import type { AdmissionTokenService } from '../../tokens/admission-token.service';
import type { OutboxRepository } from './outbox.repository';
import { OutboxReader } from './outbox-reader';
import type { ReadRequest } from './outbox-reader.thread';
import { useSessionTicketKey } from '../../queue/session-ticket';

/** Stands in for worker_threads' Worker: the test plays the thread's side of the messages. */
class FakeThread extends EventEmitter {
  readonly posted: { type: string }[] = [];
  terminated = false;
  postMessage(message: { type: string }): void {
    this.posted.push(message);
  }
  unref(): void {}
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  /** The last read request it was sent. */
  lastRead(): ReadRequest {
    return this.posted.filter((message) => message.type === 'read').at(-1) as ReadRequest;
  }
}

const mockThreads: FakeThread[] = [];
jest.mock('node:worker_threads', () => ({
  parentPort: null,
  workerData: undefined,
  Worker: jest.fn(() => {
    const thread = new FakeThread();
    mockThreads.push(thread);
    return thread;
  }),
}));

const env = {
  OUTBOX_READER_THREAD: true,
  OUTBOX_BATCH_SIZE: 500,
  REDIS_COMMAND_TIMEOUT_MS: 1000,
  REDIS_URL: 'redis://127.0.0.1:6390',
  REDIS_AUTO_PIPELINING: false,
  REDIS_KEY_PREFIX: 'wr:',
} as Environment;

/** The outbox as the main thread reads it: one entry of an unknown kind (mapped without a signer). */
const mainThreadEntries = [{ id: '1-0', fields: { k: 'promoted', m: 'm-1', at: '1' } }];

describe('OutboxReader (the reader thread and the main-thread fallback)', () => {
  let reader: OutboxReader;
  let oldest: jest.Mock;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  beforeEach(() => {
    jest.useFakeTimers();
    mockThreads.length = 0;
    oldest = jest.fn().mockResolvedValue(mainThreadEntries);
    const tokens = { signerSettings: () => ({}), sign: () => 'token' } as unknown as AdmissionTokenService;
    reader = new OutboxReader({ oldest } as unknown as OutboxRepository, tokens, env);
    reader.onApplicationBootstrap();
  });
  afterEach(async () => {
    await reader.onApplicationShutdown();
    jest.useRealTimers();
  });

  const mainThreadBatch = {
    messages: [],
    size: 1,
    lastId: '1-0',
    unreadable: [{ id: '1-0', reason: 'outbox entry of unknown kind promoted' }],
  };

  it('reads on the main thread until the thread says it is ready, then on the thread', async () => {
    const [thread] = mockThreads;
    expect(thread.posted[0]).toMatchObject({ type: 'setup', redis: { REDIS_KEY_PREFIX: 'wr:' } });
    await expect(reader.read('ev', null)).resolves.toEqual(mainThreadBatch);

    thread.emit('message', { type: 'ready' });
    const reading = reader.read('ev', '1-0');
    const request = thread.lastRead();
    expect(request).toMatchObject({ eventId: 'ev', afterId: '1-0', count: 500 });
    thread.emit('message', {
      type: 'batch',
      id: request.id,
      batch: {
        size: 2,
        lastId: '2-1',
        topics: ['QUEUE_JOINED'],
        values: ['{}'],
        messageIds: ['m-2'],
        unreadable: [{ id: '2-0', reason: 'r' }],
      },
    });
    await expect(reading).resolves.toEqual({
      messages: [{ topic: 'QUEUE_JOINED', value: '{}', messageId: 'm-2' }],
      size: 2,
      lastId: '2-1',
      unreadable: [{ id: '2-0', reason: 'r' }],
    });
    expect(reader.stats).toMatchObject({ threadBatches: 1, mainThreadBatches: 1 });
  });

  it('fails a read the thread refuses, and keeps the thread', async () => {
    const [thread] = mockThreads;
    thread.emit('message', { type: 'ready' });
    const reading = reader.read('ev', null);
    thread.emit('message', { type: 'failed', id: thread.lastRead().id, message: 'Command timed out' });
    await expect(reading).rejects.toThrow('Command timed out');
    expect(reader.onThread).toBe(true);
    expect(thread.terminated).toBe(false);
  });

  it('gives up on a thread that does not answer: the read fails, reads move to the main thread, new threads follow after growing pauses', async () => {
    const [first] = mockThreads;
    first.emit('message', { type: 'ready' });
    const reading = reader.read('ev', null);
    // The reply timeout: three command timeouts, at least five seconds.
    jest.advanceTimersByTime(4999);
    expect(reader.onThread).toBe(true);
    jest.advanceTimersByTime(1);
    await expect(reading).rejects.toThrow('did not answer in time');
    expect(first.terminated).toBe(true);
    expect(reader.onThread).toBe(false);
    await expect(reader.read('ev', null)).resolves.toEqual(mainThreadBatch);

    jest.advanceTimersByTime(999);
    expect(mockThreads).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(mockThreads).toHaveLength(2);

    // The second thread exits before it is ready: the next start waits twice as long.
    mockThreads[1].emit('exit', 1);
    jest.advanceTimersByTime(1999);
    expect(mockThreads).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(mockThreads).toHaveLength(3);
    expect(reader.stats).toMatchObject({ threadStarts: 3, threadFailures: 2 });
  });

  it('sends the session ticket key with the first request and when it changes, as a copy of its own, and again to a new thread', async () => {
    const key = Buffer.from('k'.repeat(43), 'base64url');
    useSessionTicketKey(key);
    const [first] = mockThreads;
    first.emit('message', { type: 'ready' });
    const answer = (thread: FakeThread) =>
      thread.emit('message', { type: 'batch', id: thread.lastRead().id, batch: null });

    void reader.read('ev', null);
    const sent = first.lastRead().ticketKey;
    answer(first);
    expect(sent && Buffer.from(sent)).toEqual(key);
    // Not a view of the 8 KiB pool the key was decoded into: a message copies all of that.
    expect(sent?.buffer.byteLength).toBe(key.length);

    void reader.read('ev', null);
    expect('ticketKey' in first.lastRead()).toBe(false);
    answer(first);

    const rotated = Buffer.from('r'.repeat(43), 'base64url');
    useSessionTicketKey(rotated);
    void reader.read('ev', null);
    const resent = first.lastRead().ticketKey;
    answer(first);
    expect(resent && Buffer.from(resent)).toEqual(rotated);

    first.emit('exit', 1);
    jest.advanceTimersByTime(1000);
    const second = mockThreads[1];
    second.emit('message', { type: 'ready' });
    void reader.read('ev', null);
    const toNewThread = second.lastRead().ticketKey;
    answer(second);
    expect(toNewThread && Buffer.from(toNewThread)).toEqual(rotated);
    useSessionTicketKey(null);
  });

  it('starts no thread when OUTBOX_READER_THREAD is off', async () => {
    await reader.onApplicationShutdown();
    mockThreads.length = 0;
    const offReader = new OutboxReader(
      { oldest } as unknown as OutboxRepository,
      {} as AdmissionTokenService,
      {
        ...env,
        OUTBOX_READER_THREAD: false,
      },
    );
    offReader.onApplicationBootstrap();
    expect(mockThreads).toHaveLength(0);
    await expect(offReader.read('ev', null)).resolves.toEqual(mainThreadBatch);
  });
});
