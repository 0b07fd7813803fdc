import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { workerThreadEntry } from '../common/worker-thread-entry';
import { Environment } from '../config/environment';
import { checkIdentityToken, type IdentityKey } from './identity-tokens';
import type { VerifyReply, VerifyRequest } from './identity-verify.thread';

interface Pending {
  resolve: (valid: boolean) => void;
  /** To check here if the thread goes away before it answers. */
  fallback: () => boolean;
}

interface VerifierThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Where identity tokens are verified: on IDENTITY_VERIFY_THREADS worker threads (round robin),
 * so a join's thread only hands a token over and reads the answer; with 0, on the calling thread.
 * A thread that fails is replaced, and what it had not answered is checked on the calling thread:
 * a token is never refused, or let through, because a thread died.
 */
@Injectable()
export class IdentityVerifiers implements OnModuleDestroy {
  private readonly logger = new Logger(IdentityVerifiers.name);
  private readonly threads: (VerifierThread | null)[];
  private next = 0;
  private nextId = 0;
  private stopped = false;
  readonly stats = { onThreads: 0, inline: 0, threadStarts: 0 };

  constructor(private readonly env: Environment) {
    this.threads = Array.from({ length: env.IDENTITY_VERIFY_THREADS }, () => null);
  }

  onModuleDestroy(): Promise<void> {
    this.stopped = true;
    const workers = this.threads.filter((thread) => thread !== null).map((thread) => thread.worker);
    this.threads.fill(null);
    return Promise.all(workers.map((worker) => worker.terminate())).then(() => undefined);
  }

  verify(
    token: string,
    key: IdentityKey,
    keyText: string,
    expected: { userId: string; eventId: string },
  ): Promise<boolean> {
    const inline = () => checkIdentityToken(token, key, expected);
    const thread = this.threads.length > 0 && !this.stopped ? this.thread() : null;
    if (!thread) {
      this.stats.inline++;
      return Promise.resolve(inline());
    }
    this.stats.onThreads++;
    const id = ++this.nextId;
    return new Promise<boolean>((resolve) => {
      thread.pending.set(id, { resolve, fallback: inline });
      thread.worker.postMessage({ id, keyText, token, ...expected } satisfies VerifyRequest);
    });
  }

  /** The next thread, round robin, started when missing. */
  private thread(): VerifierThread {
    const index = this.next++ % this.threads.length;
    const existing = this.threads[index];
    if (existing) return existing;
    const { file, execArgv, env } = workerThreadEntry(__dirname, 'identity-verify');
    const worker = new Worker(file, { execArgv, env });
    // Shutdown terminates it; it must not keep the process alive on its own.
    worker.unref();
    const thread: VerifierThread = { worker, pending: new Map() };
    this.threads[index] = thread;
    this.stats.threadStarts++;
    worker.on('message', (reply: VerifyReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      pending?.resolve(reply.valid);
    });
    const failed = (error: Error) => {
      if (this.threads[index] === thread) this.threads[index] = null;
      if (!this.stopped) this.logger.warn(`an identity verifier thread stopped: ${error.message}`);
      for (const pending of thread.pending.values()) pending.resolve(pending.fallback());
      thread.pending.clear();
    };
    worker.on('error', failed);
    worker.on('exit', (code) => failed(new Error(`exited (code ${code})`)));
    return thread;
  }
}
