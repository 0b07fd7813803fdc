import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { KafkaPublisher } from '../events/outbox/kafka-publisher';
import { OutboxRepository } from '../events/outbox/outbox.repository';
import { ActiveEvents } from '../registry/active-events';
import { RedisService } from '../redis/redis.service';
import { ConsumerState } from '@waitroom/kafka-consumer';

/**
 * Kubernetes probes in terminus format.
 * - live: the process serves HTTP. Nothing external: restarting a pod never fixes Redis.
 * - ready: Redis answers (without it no request can succeed). Kafka is reported, never failing:
 *   with the outbox, joins keep working during a Kafka outage, and failing readiness on every
 *   pod at once would take the whole waiting room down for a problem users do not see.
 *   The checkout consumer fails readiness only when it is this instance's own fault: it has not
 *   been consuming for CONSUMER_DOWN_GRACE_MS after the broker was back (acknowledging this
 *   instance's sends without a failure) and still answers. A Kafka outage never fails it.
 *   It restarts by itself meanwhile (RawRecordKafkaServer); readiness says so to the operator.
 */
const CONSUMER_DOWN_GRACE_MS = 30_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
    private readonly publisher: KafkaPublisher,
    private readonly outbox: OutboxRepository,
    private readonly activeEvents: ActiveEvents,
    private readonly consumer: ConsumerState,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ operationId: 'liveness', summary: 'Liveness probe: the process serves HTTP', security: [] })
  live() {
    return this.health.check([
      async () => this.indicators.check('process').up({ uptime_seconds: Math.round(process.uptime()) }),
    ]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    operationId: 'readiness',
    summary: 'Readiness probe: Redis answers (Kafka and the consumer reported)',
    security: [],
  })
  ready() {
    return this.health.check([
      () => this.redisIndicator(),
      () => this.kafkaIndicator(),
      () => this.consumerIndicator(),
    ]);
  }

  private async redisIndicator() {
    const indicator = this.indicators.check('redis');
    try {
      await this.redis.ping();
      return indicator.up();
    } catch {
      return indicator.down({ message: 'redis does not answer' });
    }
  }

  private consumerIndicator() {
    const indicator = this.indicators.check('checkout_consumer');
    const downForMs = this.consumer.downForMs();
    const details = {
      consumer_status: this.consumer.status,
      since: new Date(this.consumer.since).toISOString(),
      restarts: this.consumer.restarts,
      last_error: this.consumer.lastError,
    };
    // The broker has been acknowledging this instance's sends for the whole grace period, and
    // has since the consumer went down: the consumer's absence is not a Kafka outage.
    const now = Date.now();
    const brokerBackAt = Math.max(this.publisher.acknowledgedSince ?? Infinity, this.consumer.since);
    const brokerAnswersNow = now - (this.publisher.lastAcknowledgedAt ?? 0) < CONSUMER_DOWN_GRACE_MS;
    const ownFault =
      this.consumer.status !== 'starting' &&
      downForMs > CONSUMER_DOWN_GRACE_MS &&
      brokerAnswersNow &&
      now - brokerBackAt > CONSUMER_DOWN_GRACE_MS;
    return ownFault ? indicator.down(details) : indicator.up(details);
  }

  private async kafkaIndicator() {
    const indicator = this.indicators.check('kafka');
    let backlog: number | null = null;
    try {
      // Only events with work can have a backlog: a probe costs nothing per idle event.
      const ids = await this.activeEvents.ids();
      const sizes = await Promise.all(ids.map((id) => this.outbox.backlog(id)));
      backlog = sizes.reduce((sum, size) => sum + size, 0);
    } catch {
      backlog = null;
    }
    return indicator.up({
      producer_connected: this.publisher.isConnected,
      outbox_backlog: backlog,
      note: 'informational: a Kafka outage degrades publishing (events wait in the outbox) and does not fail readiness',
    });
  }
}
