import type { EventConfig, EventCounters } from '../queue/event-config';

/** What the scrape needs from Redis; QueueRepository and OutboxRepository provide it. */
export interface ClusterSource {
  listEventIds(): Promise<string[]>;
  getEvent(eventId: string): Promise<{ config: EventConfig; counters: EventCounters } | null>;
  backlog(eventId: string): Promise<number>;
}

/** One event as read in one scrape; a part that could not be read is left out. */
interface EventSample {
  eventId: string;
  config?: EventConfig;
  counters?: EventCounters;
  outboxBacklog?: number;
}

export interface ClusterSnapshot {
  /** True only if every read finished, and in time. */
  redisUp: boolean;
  events: EventSample[];
}

/**
 * Reads every event's state for one scrape, within `timeoutMs`. It never rejects and never
 * waits longer than the timeout: /metrics must answer even while Redis is down or slow (that
 * is exactly when people look at it). Reads that finished are kept, so a slow or failing
 * event costs its own series, not the whole scrape; `redisUp` says the picture is incomplete.
 */
export async function readClusterSnapshot(
  source: ClusterSource,
  timeoutMs: number,
): Promise<ClusterSnapshot> {
  const samples = new Map<string, EventSample>();
  let failed = false;
  const work = (async () => {
    const eventIds = await source.listEventIds();
    await Promise.all(
      eventIds.map(async (eventId) => {
        const sample: EventSample = { eventId };
        samples.set(eventId, sample);
        const [event, backlog] = await Promise.allSettled([
          source.getEvent(eventId),
          source.backlog(eventId),
        ]);
        if (event.status === 'fulfilled') {
          // null: the id is registered but has no config (being created or removed); no event series.
          if (event.value) {
            sample.config = event.value.config;
            sample.counters = event.value.counters;
          }
        } else {
          failed = true;
        }
        if (backlog.status === 'fulfilled') sample.outboxBacklog = backlog.value;
        else failed = true;
      }),
    );
  })();
  const finished = await settleWithin(work, timeoutMs);
  // Copies: reads still running after a timeout must not change a snapshot already handed out.
  const events = [...samples.values()]
    .filter((sample) => sample.counters !== undefined || sample.outboxBacklog !== undefined)
    .map((sample) => ({ ...sample }));
  return { redisUp: finished && !failed, events };
}

/** True if `work` fulfilled within `timeoutMs`; false if it rejected or ran out of time. */
async function settleWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    // A pending scrape must not keep a stopping process alive.
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Shares one in-flight read between concurrent callers. prom-client calls every metric's
 * collect() at once for a scrape; with this the ten per-event gauges cost one pass over Redis,
 * not ten. Nothing is cached after it settles: every scrape reads fresh values.
 */
export class SingleFlight<T> {
  private inFlight?: Promise<T>;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.inFlight) {
      const current = this.load().finally(() => {
        if (this.inFlight === current) this.inFlight = undefined;
      });
      this.inFlight = current;
    }
    return this.inFlight;
  }
}
