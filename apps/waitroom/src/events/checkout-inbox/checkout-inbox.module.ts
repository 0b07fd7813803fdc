import { Module } from '@nestjs/common';
import { ConsumerState } from '@waitroom/kafka-consumer';
import { QueueModule } from '../../queue/queue.module';
import { OutboxModule } from '../outbox/outbox.module';
import { CheckoutEventsController } from './checkout-events.controller';
import { CheckoutEventsService } from './checkout-events.service';

/**
 * What comes in: CHECKOUT_COMPLETED, CHECKOUT_FAILED and CHECKOUT_EXPIRED end admitted sessions;
 * records that cannot be applied go to their dead-letter topic (through the outbox's publisher).
 */
@Module({
  imports: [QueueModule, OutboxModule],
  controllers: [CheckoutEventsController],
  providers: [CheckoutEventsService, ConsumerState],
  exports: [CheckoutEventsService, ConsumerState],
})
export class CheckoutInboxModule {}
