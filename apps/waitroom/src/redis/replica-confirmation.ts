import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-client';
import { StoreUnavailableError } from './store-errors';

/** How long a probe key outlives its last use: it only exists to be written, never read. */
const PROBE_TTL_MS = 60_000;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The callers of one master (one probe key) waiting for the next WAIT, and whether one is out. */
interface ProbeBatch {
  waiting: Waiter[];
  inFlight: boolean;
  scheduled: boolean;
}

/**
 * Waits until replicas hold the writes made so far (Redis `WAIT`), for many callers at once
 * (docs/decisions/0020-replicated-acknowledgements.md).
 *
 * `WAIT` counts the writes of the connection it is sent on, and blocks that connection while it
 * waits. So it goes on a connection of its own (a Cluster: the node's, pipelined), right after a
 * write there (`SET` of a probe key in the caller's hash slot): a master's replication is one
 * ordered stream, so replicas that hold the probe's write hold every write the master ran before
 * it, the callers' scripts included (each caller asks only after its script answered). One probe
 * per master per event-loop phase and at most one in flight per master: callers that come while
 * one is out share the next, so the cost is per batch, not per request.
 */
export class ReplicaConfirmation {
  private readonly batches = new Map<string, ProbeBatch>();

  constructor(
    private readonly client: RedisClient,
    private readonly replicas: number,
    private readonly timeoutMs: number,
    private readonly probeKeyPrefix: string,
  ) {}

  /** Resolves once `replicas` replicas hold every write made before the call; 503 otherwise. */
  confirm(slotKey: string): Promise<void> {
    const probeKey = this.probeKeyFor(slotKey);
    const batch = this.batches.get(probeKey) ?? { waiting: [], inFlight: false, scheduled: false };
    this.batches.set(probeKey, batch);
    const waiting = new Promise<void>((resolve, reject) => batch.waiting.push({ resolve, reject }));
    this.schedule(probeKey, batch);
    return waiting;
  }

  /**
   * The probe key of the master that holds `slotKey`: one key for a standalone master, one in the
   * same hash slot as `slotKey` on a Cluster (so on the same node).
   */
  private probeKeyFor(slotKey: string): string {
    if (!(this.client instanceof Cluster)) return `${this.probeKeyPrefix}replication-probe`;
    const tag = /\{([^}]+)\}/.exec(slotKey)?.[1] ?? slotKey;
    return `${this.probeKeyPrefix}{${tag}}:replication-probe`;
  }

  private schedule(probeKey: string, batch: ProbeBatch): void {
    if (batch.inFlight || batch.scheduled) return;
    batch.scheduled = true;
    setImmediate(() => void this.probe(probeKey, batch));
  }

  private async probe(probeKey: string, batch: ProbeBatch): Promise<void> {
    batch.scheduled = false;
    const waiters = batch.waiting;
    batch.waiting = [];
    batch.inFlight = true;
    let failure: Error | null = null;
    try {
      const acknowledged = await this.probeOnce(probeKey);
      if (acknowledged < this.replicas) failure = new StoreUnavailableError();
    } catch {
      failure = new StoreUnavailableError();
    } finally {
      batch.inFlight = false;
    }
    for (const waiter of waiters) {
      if (failure) waiter.reject(failure);
      else waiter.resolve();
    }
    if (batch.waiting.length > 0) this.schedule(probeKey, batch);
    else this.batches.delete(probeKey);
  }

  /** The probe's write then WAIT on one connection; how many replicas acknowledged it. */
  private async probeOnce(probeKey: string): Promise<number> {
    // The probe's connection is opened with the door's and may still be connecting (it has no
    // offline queue): wait for it within the same bound as the replicas.
    if (this.client.status !== 'ready') await this.ready();
    const replies = await this.client
      .pipeline()
      .set(probeKey, '1', 'PX', PROBE_TTL_MS)
      .wait(this.replicas, this.timeoutMs)
      .exec();
    if (!replies) throw new Error('WAIT: no reply');
    const [, [waitError, acknowledged]] = replies as [unknown, [Error | null, unknown]];
    if (waitError) throw waitError;
    return Number(acknowledged);
  }

  private ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error('not connected'));
      }, this.timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }
}
