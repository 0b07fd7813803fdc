import type { KafkaOptions } from '@nestjs/microservices';
import { kafkaConsumerTransport, kafkaProducerTransport, type KafkaConnection } from '@waitroom/service-kit';
import { Partitioners } from 'kafkajs';
import type { SimulatorConfig } from '../config/environment';

/** The simulator's consumer group (CONTRACT.md, "Kafka"): exactly this id, no `-server` postfix. */
export const SIMULATOR_GROUP_ID = 'checkout-simulator';

function connection(config: SimulatorConfig): KafkaConnection {
  return { clientId: 'checkout-simulator', brokers: config.kafkaBrokers };
}

/** The consumer side of the hybrid app: QUEUE_READY as group `checkout-simulator`. */
export function kafkaConsumerOptions(config: SimulatorConfig, groupId = SIMULATOR_GROUP_ID): KafkaOptions {
  return kafkaConsumerTransport(connection(config), {
    groupId,
    // A group without committed offsets starts at the newest record: past admissions are not the
    // simulator's business (their tokens have mostly expired). An existing group resumes where it was.
    fromBeginning: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** The producer of checkout outcomes, key = event_id. */
export function kafkaProducerOptions(config: SimulatorConfig): KafkaOptions {
  // Java-compatible murmur2 of the key, like every other producer of these topics.
  return kafkaProducerTransport(connection(config), Partitioners.DefaultPartitioner);
}
