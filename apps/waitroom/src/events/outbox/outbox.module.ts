import { Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { Environment } from '../../config/environment';
import { TokensModule } from '../../tokens/tokens.module';
import { kafkaProducerOptions } from '../kafka-options';
import { KAFKA_PRODUCER_CLIENT, KafkaPublisher } from './kafka-publisher';
import { OutboxReader } from './outbox-reader';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxRepository } from './outbox.repository';

/** What goes out: the outbox relay publishes QUEUE_JOINED, QUEUE_LEFT and QUEUE_READY to Kafka. */
@Module({
  imports: [
    TokensModule,
    ClientsModule.registerAsync([
      {
        name: KAFKA_PRODUCER_CLIENT,
        inject: [Environment],
        useFactory: (env: Environment) => kafkaProducerOptions(env),
      },
    ]),
  ],
  providers: [KafkaPublisher, OutboxRepository, OutboxReader, OutboxRelayService],
  exports: [KafkaPublisher, OutboxRepository, OutboxReader, OutboxRelayService],
})
export class OutboxModule {}
