import { Module } from '@nestjs/common';
import { CheckoutInboxModule } from './checkout-inbox/checkout-inbox.module';
import { OutboxModule } from './outbox/outbox.module';

/**
 * The Kafka side of Waitroom ("events" here are Kafka messages; an event in the domain is a
 * sale): the outbox relay that publishes what happened, and the checkout inbox that consumes
 * what checkout decided.
 */
@Module({
  imports: [OutboxModule, CheckoutInboxModule],
  exports: [OutboxModule, CheckoutInboxModule],
})
export class EventsModule {}
