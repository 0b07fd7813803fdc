import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { Topics, type ConsumedTopic } from '@waitroom/contracts';
import { CheckoutEventsService } from './checkout-events.service';

/**
 * Kafka adapter for checkout outcomes: hands the raw record to the service, nothing more.
 * The payload argument is ignored on purpose; the raw message keeps the original bytes.
 */
@Controller()
export class CheckoutEventsController {
  constructor(private readonly checkout: CheckoutEventsService) {}

  @EventPattern(Topics.CHECKOUT_COMPLETED)
  completed(@Ctx() context: KafkaContext) {
    return this.forward(context);
  }

  @EventPattern(Topics.CHECKOUT_FAILED)
  failed(@Ctx() context: KafkaContext) {
    return this.forward(context);
  }

  @EventPattern(Topics.CHECKOUT_EXPIRED)
  expired(@Ctx() context: KafkaContext) {
    return this.forward(context);
  }

  private async forward(context: KafkaContext): Promise<void> {
    const message = context.getMessage();
    await this.checkout.handle({
      topic: context.getTopic() as ConsumedTopic,
      partition: context.getPartition(),
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers ?? {},
    });
  }
}
