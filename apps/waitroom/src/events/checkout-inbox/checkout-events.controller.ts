import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { Topics, type ConsumedTopic } from '@waitroom/contracts';
import { CheckoutEventsService } from './checkout-events.service';

/**
 * Kafka adapter for checkout outcomes: hands the raw record to the service, nothing more.
 * The payload argument is ignored on purpose: the context's message is the record exactly as
 * kafkajs delivered it (RawRecordKafkaServer keeps value, key and headers as Buffers).
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
      key: asBytes(message.key),
      value: asBytes(message.value),
      headers: message.headers ?? {},
    });
  }
}

/** kafkajs delivers Buffers; the transport's types also allow strings. */
function asBytes(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}
