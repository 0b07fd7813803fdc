import type { KafkaOptions } from '@nestjs/microservices';
import { CONSUMER_GROUP_ID } from '@waitroom/contracts';
import { kafkaConsumerTransport, kafkaProducerTransport, type KafkaConnection } from '@waitroom/service-kit';
import type { SASLOptions } from 'kafkajs';
import type { Environment } from '../config/environment';
import { KeyMemoPartitioner } from './key-partitioner';

function connection(env: Environment): KafkaConnection {
  const sasl: SASLOptions | undefined =
    env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? {
          mechanism: env.KAFKA_SASL_MECHANISM,
          username: env.KAFKA_SASL_USERNAME,
          password: env.KAFKA_SASL_PASSWORD,
        }
      : undefined;
  return { clientId: env.KAFKA_CLIENT_ID, brokers: env.KAFKA_BROKERS.split(','), ssl: env.KAFKA_SSL, sasl };
}

/** The consumer side of the hybrid app: group `waitroom-service`, exactly (no `-server` postfix). */
export function kafkaConsumerOptions(env: Environment): KafkaOptions {
  return kafkaConsumerTransport(connection(env), {
    groupId: CONSUMER_GROUP_ID,
    // A new group starts at the oldest message: completions sent before the first deployment
    // still free their slots, and replays are harmless (transitions are idempotent).
    fromBeginning: true,
    createPartitioner: KeyMemoPartitioner,
    // Unused by RawRecordKafkaServer, which never parses records; kept for plain ServerKafka.
    parser: { keepBinary: true },
  });
}

/** The producer side: ClientKafka, key = event_id. */
export function kafkaProducerOptions(env: Environment): KafkaOptions {
  // Java-compatible murmur2 (DefaultPartitioner's, remembered per key): another team's Java
  // producer keyed by event_id picks the same partition.
  return kafkaProducerTransport(connection(env), KeyMemoPartitioner);
}
