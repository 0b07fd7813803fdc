import { Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { Environment } from '../config/environment';
import { TokensModule } from '../tokens/tokens.module';
import { WaitroomModule } from '../waitroom/waitroom.module';
import { CheckoutEventsController } from './checkout-events.controller';
import { CheckoutEventsService } from './checkout-events.service';
import { KAFKA_PRODUCER_CLIENT, KafkaPublisher } from './kafka-publisher';
import { kafkaProducerOptions } from './kafka-options';
import { OutboxReader } from './outbox-reader';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxRepository } from './outbox.repository';
import { ConsumerState } from '@waitroom/kafka-consumer';

@Module({
  imports: [
    WaitroomModule,
    TokensModule,
    ClientsModule.registerAsync([
      {
        name: KAFKA_PRODUCER_CLIENT,
        inject: [Environment],
        useFactory: (env: Environment) => kafkaProducerOptions(env),
      },
    ]),
  ],
  controllers: [CheckoutEventsController],
  providers: [
    KafkaPublisher,
    OutboxRepository,
    OutboxReader,
    OutboxRelayService,
    CheckoutEventsService,
    ConsumerState,
  ],
  exports: [
    KafkaPublisher,
    OutboxReader,
    OutboxRelayService,
    OutboxRepository,
    CheckoutEventsService,
    ConsumerState,
  ],
})
export class EventsModule {}
