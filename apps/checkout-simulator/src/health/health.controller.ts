import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { CheckoutService } from '../checkout/checkout.service';
import { ConsumerState } from '@waitroom/kafka-consumer';
import { SimulatorConfig } from '../config/environment';
import { JwksProbe } from '../tokens/jwks-probe';

/**
 * Probes in terminus format.
 * - live: the process serves HTTP.
 * - ready: the QUEUE_READY consumer has joined group checkout-simulator, and the waitroom's key
 *   set answers (without it no token verifies, and every admission would be dropped).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly consumer: ConsumerState,
    private readonly jwks: JwksProbe,
    private readonly checkout: CheckoutService,
    private readonly config: SimulatorConfig,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      async () => this.indicators.check('process').up({ uptime_seconds: Math.round(process.uptime()) }),
    ]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.consumerIndicator(), () => this.jwksIndicator()]);
  }

  private consumerIndicator() {
    const indicator = this.indicators.check('queue_ready_consumer');
    const details = {
      consumer_status: this.consumer.status,
      since: new Date(this.consumer.since).toISOString(),
      restarts: this.consumer.restarts,
      last_error: this.consumer.lastError,
      pending_checkouts: this.checkout.pendingCount,
    };
    return this.consumer.status === 'running' ? indicator.up(details) : indicator.down(details);
  }

  private async jwksIndicator() {
    const indicator = this.indicators.check('waitroom_jwks');
    const result = await this.jwks.check();
    return result.reachable
      ? indicator.up({ url: this.config.jwksUrl, keys: result.keys })
      : indicator.down({ url: this.config.jwksUrl, message: result.error });
  }
}
