import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { Topics } from '@waitroom/contracts';
import { CheckoutService } from './checkout.service';

/**
 * Kafka adapter: hands QUEUE_READY's raw value to the service. The payload argument is ignored on
 * purpose: SimulatorConsumerServer passes the record as kafkajs delivered it (no KafkaParser).
 */
@Controller()
export class QueueReadyController {
  constructor(private readonly checkout: CheckoutService) {}

  @EventPattern(Topics.QUEUE_READY)
  async queueReady(@Ctx() context: KafkaContext): Promise<void> {
    const value = context.getMessage().value as Buffer | string | null;
    await this.checkout.handleQueueReady(typeof value === 'string' ? Buffer.from(value) : value);
  }
}
