import { Transport, type KafkaOptions } from '@nestjs/microservices';
import { Partitioners, type KafkaConfig } from 'kafkajs';
import type { SimulatorConfig } from '../config/environment';

/** The simulator's consumer group (CONTRACT.md, "Kafka"): exactly this id, no `-server` postfix. */
export const SIMULATOR_GROUP_ID = 'checkout-simulator';
const SIMULATOR_CLIENT_ID = 'checkout-simulator';

function clientConfig(config: SimulatorConfig, suffix: string): KafkaConfig {
  return {
    clientId: `${SIMULATOR_CLIENT_ID}-${suffix}`,
    brokers: config.kafkaBrokers,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 },
  };
}

/** The consumer side of the hybrid app: QUEUE_READY as group `checkout-simulator`. */
export function kafkaConsumerOptions(config: SimulatorConfig, groupId = SIMULATOR_GROUP_ID): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: {
        ...clientConfig(config, 'consumer'),
        retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: 30 },
      },
      consumer: {
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 10000,
        heartbeatInterval: 2000,
      },
      // A group without committed offsets starts at the newest record: past admissions are not the
      // simulator's business (their tokens have mostly expired). An existing group resumes where it was.
      subscribe: { fromBeginning: false },
      // The transport builds a producer for replies it never sends; the default partitioner, no warning.
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      postfixId: '',
      run: { autoCommit: true, partitionsConsumedConcurrently: 3 },
    },
  };
}

/** The producer of checkout outcomes: idempotent, acks from all in-sync replicas, key = event_id. */
export function kafkaProducerOptions(config: SimulatorConfig): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: clientConfig(config, 'producer'),
      producerOnlyMode: true,
      producer: {
        idempotent: true,
        allowAutoTopicCreation: false,
        // Java-compatible murmur2 of the key, like every other producer of these topics.
        createPartitioner: Partitioners.DefaultPartitioner,
      },
      send: { acks: -1 },
      postfixId: '',
    },
  };
}
