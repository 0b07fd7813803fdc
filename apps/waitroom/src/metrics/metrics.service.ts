import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AdmissionScheduler } from '../admission/admission.scheduler';
import { CheckoutEventsService } from '../events/checkout-inbox/checkout-events.service';
import { OutboxReader } from '../events/outbox/outbox-reader';
import { OutboxRelayService } from '../events/outbox/outbox-relay.service';
import { OutboxRepository } from '../events/outbox/outbox.repository';
import { EventRegistry } from '../registry/event-registry';
import type { EventConfig, EventCounters } from '../queue/event-config';
import type { EventState } from '../queue/session';
import { QueueRepository } from '../queue/queue.repository';
import { readClusterSnapshot, SingleFlight, type ClusterSnapshot } from './cluster-snapshot';
import { CounterMirror } from './counter-mirror';
import { collectProcessMetrics } from '@waitroom/process-metrics';
import { HTTP_DURATION_BUCKETS, HTTP_LABELS, recordHttpDuration, type HttpLabel } from './http-metrics';

export const METRIC_PREFIX = 'waitroom_';

/**
 * Upper bound on the Redis part of a scrape. Below Prometheus' default scrape_timeout (10 s)
 * with room to spare, so a slow Redis gives a complete answer with waitroom_redis_up 0 rather
 * than a scrape Prometheus gave up on.
 */
const SCRAPE_REDIS_TIMEOUT_MS = 2000;

const EVENT_STATES: readonly EventState[] = ['open', 'paused', 'closed'];

/**
 * Per-event values read from Redis at scrape time.
 *
 * They are gauges, also the running totals: Redis holds one cluster-wide figure that every
 * replica reads and exposes identically. As counters they would invite sum(rate(...)) across
 * instances, which multiplies the real figure by the replica count; as gauges the dashboards
 * take max by (event_id), and rate() over them still works, because the totals only grow.
 * This process also does not own the increments (any replica's join bumps joined_total), which
 * is what a counter would claim.
 */
// prettier-ignore
const EVENT_GAUGES: readonly { name: string; help: string; value: (counters: EventCounters, config: EventConfig) => number }[] = [
  { name: 'event_queue_length', help: 'Sessions waiting in the queue (cluster-wide, from Redis)', value: (c) => c.queueLength },
  { name: 'event_active_sessions', help: 'Sessions admitted and holding a checkout slot (cluster-wide, from Redis)', value: (c) => c.activeCount },
  { name: 'event_capacity', help: 'Configured checkout slots of the event', value: (_c, config) => config.capacity },
  { name: 'event_joined', help: 'Sessions ever created for the event (cluster-wide total, from Redis)', value: (c) => c.joinedTotal },
  { name: 'event_admitted', help: 'Sessions ever admitted (cluster-wide total, from Redis)', value: (c) => c.admittedTotal },
  { name: 'event_completed', help: 'Checkouts completed (cluster-wide total, from Redis)', value: (c) => c.completedTotal },
  { name: 'event_failed', help: 'Checkouts failed (cluster-wide total, from Redis)', value: (c) => c.failedTotal },
  { name: 'event_expired', help: 'Checkout windows expired (cluster-wide total, from Redis)', value: (c) => c.expiredTotal },
  { name: 'event_left', help: 'Sessions that left (cluster-wide total, from Redis)', value: (c) => c.leftTotal },
  { name: 'event_abandoned', help: 'Queued sessions dropped for missing heartbeats (cluster-wide total, from Redis)', value: (c) => c.abandonedTotal },
];

/**
 * A counter that follows a plain total a service keeps (CounterMirror): one series, or one per
 * value of `label`, each read from its total at every scrape.
 */
type MirroredCounter = { name: string; help: string } & (
  { total: () => number } | { label: string; series: Record<string, () => number> }
);

/**
 * The Prometheus registry of one application instance, served at GET /metrics.
 *
 * A registry of its own rather than prom-client's global one: the integration tests start
 * several applications in one process, and each must see only its own metrics (the global
 * registry would also refuse the second registration of every name).
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MetricsService.name);
  readonly registry = new Registry();
  private readonly cluster: SingleFlight<ClusterSnapshot>;
  private readonly mirror = new CounterMirror();
  private readonly httpDuration: Histogram<HttpLabel>;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    waitroom: QueueRepository,
    registry: EventRegistry,
    outbox: OutboxRepository,
    private readonly scheduler: AdmissionScheduler,
    private readonly relay: OutboxRelayService,
    private readonly reader: OutboxReader,
    private readonly checkout: CheckoutEventsService,
  ) {
    const source = {
      listEventIds: () => registry.ids(),
      getEvent: (eventId: string) => waitroom.getEvent(eventId),
      backlog: (eventId: string) => outbox.backlog(eventId),
    };
    this.cluster = new SingleFlight(() => readClusterSnapshot(source, SCRAPE_REDIS_TIMEOUT_MS));
    collectProcessMetrics(this.registry, METRIC_PREFIX);
    this.registerClusterGauges();
    this.registerInstanceCounters();
    this.httpDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration by method, route template and status code (this instance)',
      labelNames: HTTP_LABELS,
      buckets: HTTP_DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text. Bounded in time: the Redis reads give up after SCRAPE_REDIS_TIMEOUT_MS. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * One onResponse hook on the Fastify instance. No onRequest hook is needed: with an
   * onResponse hook present Fastify stamps the start itself before the onRequest hooks run, and
   * reply.elapsedTime reads it; that saves a hook call and a request decoration per request.
   * Added here, before Nest's listen() makes the instance ready, so it covers every route,
   * including the not-found handler.
   */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') {
      this.logger.warn('HTTP metrics are recorded on Fastify only; none will be recorded');
      return;
    }
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      try {
        recordHttpDuration(this.httpDuration, request, reply);
      } catch (error) {
        // The response is already sent; a metrics fault must not turn into a request error.
        this.logger.warn(`http metrics: ${error instanceof Error ? error.message : String(error)}`);
      }
      done();
    });
  }

  /**
   * Records requests answered outside Fastify (the poll fast lane) like every other: the labels
   * are bound once, so each request is one observe.
   */
  httpRequestObserver(method: string, route: string, statusCode: number): (seconds: number) => void {
    const series = this.httpDuration.labels({ method, route, status_code: statusCode });
    return (seconds) => series.observe(seconds);
  }

  /** As httpRequestObserver, for a route answered with several statuses (the join fast lane). */
  httpRequestRecorder(method: string, route: string): (statusCode: number, seconds: number) => void {
    const byStatus = new Map<number, (seconds: number) => void>();
    return (statusCode, seconds) => {
      let observe = byStatus.get(statusCode);
      if (!observe) {
        observe = this.httpRequestObserver(method, route, statusCode);
        byStatus.set(statusCode, observe);
      }
      observe(seconds);
    };
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  private registerClusterGauges(): void {
    const redisUp: Gauge = new Gauge({
      name: `${METRIC_PREFIX}redis_up`,
      help: '1 if this scrape read every event from Redis in time, 0 if it did not (the per-event series are then missing or partial)',
      registers: [this.registry],
      collect: async () => {
        redisUp.set((await this.cluster.get()).redisUp ? 1 : 0);
      },
    });
    for (const spec of EVENT_GAUGES) {
      this.perEventGauge(spec.name, spec.help, ['event_id'], (gauge, event) => {
        if (event.counters && event.config)
          gauge.set({ event_id: event.eventId }, spec.value(event.counters, event.config));
      });
    }
    this.perEventGauge(
      'event_state',
      'The event state: 1 on the current one, 0 on the others',
      ['event_id', 'state'],
      (gauge, event) => {
        if (!event.config) return;
        for (const candidate of EVENT_STATES)
          gauge.set({ event_id: event.eventId, state: candidate }, event.config.state === candidate ? 1 : 0);
      },
    );
    this.perEventGauge(
      'outbox_backlog',
      'Domain events waiting in the Redis outbox for Kafka (cluster-wide, from Redis)',
      ['event_id'],
      (gauge, event) => {
        if (event.outboxBacklog !== undefined) gauge.set({ event_id: event.eventId }, event.outboxBacklog);
      },
    );
  }

  /** A gauge with series per event, set by `set` from each event of the scrape's cluster snapshot. */
  private perEventGauge<Label extends string>(
    name: string,
    help: string,
    labelNames: Label[],
    set: (gauge: Gauge<Label>, event: ClusterSnapshot['events'][number]) => void,
  ): void {
    const gauge: Gauge<Label> = new Gauge({
      name: `${METRIC_PREFIX}${name}`,
      help,
      labelNames,
      registers: [this.registry],
      collect: async () => {
        const { events } = await this.cluster.get();
        // Reset first: an event removed since the last scrape must disappear, not stay frozen.
        gauge.reset();
        for (const event of events) set(gauge, event);
      },
    });
  }

  /**
   * What this instance did, from the plain totals its services keep. Counters (see
   * CounterMirror for why): sum() across replicas gives the cluster figure.
   */
  private registerInstanceCounters(): void {
    const { totals } = this.scheduler;
    const relay = this.relay.stats;
    const reader = this.reader.stats;
    const checkout = this.checkout.stats;
    // prettier-ignore
    const counters: MirroredCounter[] = [
      { name: 'scheduler_sessions_total', help: "Sessions moved by this instance's admission scheduler, by outcome", label: 'outcome', series: { admitted: () => totals.admitted, expired: () => totals.expired, abandoned: () => totals.abandoned } },
      { name: 'scheduler_ticks_total', help: 'Admission ticks this instance completed', total: () => totals.ticks },
      { name: 'scheduler_skipped_ticks_total', help: 'Admission ticks skipped because the previous one was still running (a sign of a slow store)', total: () => totals.skippedTicks },
      { name: 'outbox_published_total', help: 'Outbox messages this instance published to Kafka', total: () => relay.published },
      { name: 'outbox_relay_errors_total', help: "Failed passes of this instance's outbox relay (Kafka or Redis unavailable)", total: () => relay.errors },
      { name: 'outbox_quarantined_total', help: 'Outbox entries this instance could not turn into a message and moved to the event quarantine stream', total: () => relay.quarantined },
      { name: 'outbox_batches_read_total', help: "Outbox batches this instance's relay read, by thread (thread: the reader thread of decision 16; main: the main thread, before that thread is up or while it is restarted)", label: 'read_on', series: { thread: () => reader.threadBatches, main: () => reader.mainThreadBatches } },
      { name: 'outbox_reader_thread_failures_total', help: 'Times the relay reader thread stopped or stopped answering and was started again', total: () => reader.threadFailures },
      { name: 'checkout_messages_total', help: 'Checkout outcome messages this instance consumed, by result (applied, ignored: not ready or redelivered, dead_lettered, retried: an attempt left for later)', label: 'result', series: { applied: () => checkout.applied, ignored: () => checkout.ignored, dead_lettered: () => checkout.deadLettered, retried: () => checkout.retried } },
    ];
    for (const counter of counters) this.mirroredCounter(counter);
  }

  /** Registers `counter` (see MirroredCounter). */
  private mirroredCounter(counter: MirroredCounter): void {
    const { help } = counter;
    const name = `${METRIC_PREFIX}${counter.name}`;
    const mirror = this.mirror;
    if ('total' in counter) {
      const single: Counter = new Counter({
        name,
        help,
        registers: [this.registry],
        collect: () => single.inc(mirror.delta(name, counter.total())),
      });
      return;
    }
    const labelled: Counter<string> = new Counter({
      name,
      help,
      labelNames: [counter.label],
      registers: [this.registry],
      collect: () => {
        for (const [value, total] of Object.entries(counter.series))
          labelled.inc({ [counter.label]: value }, mirror.delta(`${name}{${value}}`, total()));
      },
    });
  }
}
