import type { KafkaOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import { CONSUMER_GROUP_ID } from '@waitroom/contracts';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Environment } from '../config/environment';
import { KeyMemoPartitioner } from './key-partitioner';

/** Connection settings shared by the producer (ClientKafka) and the consumer (hybrid microservice). */
function kafkaClientConfig(env: Environment, clientIdSuffix: string): KafkaConfig {
  const sasl: SASLOptions | undefined =
    env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? {
          mechanism: env.KAFKA_SASL_MECHANISM,
          username: env.KAFKA_SASL_USERNAME,
          password: env.KAFKA_SASL_PASSWORD,
        }
      : undefined;
  return {
    clientId: `${env.KAFKA_CLIENT_ID}-${clientIdSuffix}`,
    brokers: env.KAFKA_BROKERS.split(','),
    ssl: env.KAFKA_SSL,
    sasl,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    // Fail a send within seconds so the relay notices an outage and keeps its backlog in Redis;
    // it tries again on its next pass, so nothing is lost by giving up early here.
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 },
  };
}

/** The consumer side of the hybrid app: group `waitroom-service`, exactly (no `-server` postfix). */
export function kafkaConsumerOptions(env: Environment): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: {
        ...kafkaClientConfig(env, 'consumer'),
        // The consumer must outlive any outage: kafkajs restarts it after a crash, and these
        // retries cover the time in between.
        retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: 30 },
      },
      consumer: {
        groupId: CONSUMER_GROUP_ID,
        allowAutoTopicCreation: false,
        // A member that died without leaving (a killed pod) holds its partitions until this passes.
        sessionTimeout: 10000,
        heartbeatInterval: 2000,
        // A new group starts at the oldest message: completions sent before the first deployment
        // still free their slots, and replays are harmless (transitions are idempotent).
      },
      subscribe: { fromBeginning: true },
      // The transport also builds a producer (for replies we never send); same partitioner, no warning.
      producer: { createPartitioner: KeyMemoPartitioner },
      postfixId: '',
      // Unused by RawRecordKafkaServer, which never parses records; kept for plain ServerKafka.
      parser: { keepBinary: true },
      run: { autoCommit: true, partitionsConsumedConcurrently: 3 },
    },
  };
}

/** The producer side: ClientKafka, idempotent, acks from all in-sync replicas. */
export function kafkaProducerOptions(env: Environment): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: kafkaClientConfig(env, 'producer'),
      producerOnlyMode: true,
      producer: {
        idempotent: true,
        allowAutoTopicCreation: false,
        // Java-compatible murmur2 (DefaultPartitioner's, remembered per key): another team's Java
        // producer keyed by event_id picks the same partition.
        createPartitioner: KeyMemoPartitioner,
      },
      send: { acks: -1 },
      postfixId: '',
    },
  };
}
