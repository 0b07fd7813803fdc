import { Module } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { SimulatorConfig } from '../config/environment';
import { TokensModule } from '../tokens/tokens.module';
import { CheckoutService, RANDOM_SOURCE } from './checkout.service';
import { ConsumerState } from '@waitroom/kafka-consumer';
import { kafkaProducerOptions } from './kafka-options';
import { KAFKA_PRODUCER_CLIENT, OutcomePublisher } from './outcome-publisher';
import { QueueReadyController } from './queue-ready.controller';

@Module({
  imports: [TokensModule],
  controllers: [QueueReadyController],
  providers: [
    CheckoutService,
    OutcomePublisher,
    ConsumerState,
    { provide: RANDOM_SOURCE, useValue: Math.random },
    {
      provide: KAFKA_PRODUCER_CLIENT,
      inject: [SimulatorConfig],
      useFactory: (config: SimulatorConfig) => new ClientKafka(kafkaProducerOptions(config).options ?? {}),
    },
  ],
  exports: [CheckoutService, ConsumerState],
})
export class CheckoutModule {}
