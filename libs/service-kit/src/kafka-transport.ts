import { Transport, type KafkaOptions } from '@nestjs/microservices';
import type { ICustomPartitioner, KafkaConfig } from 'kafkajs';

/** Where and as whom a service reaches Kafka; `-consumer` or `-producer` is appended to the client id. */
export type KafkaConnection = Pick<KafkaConfig, 'ssl' | 'sasl'> & { clientId: string; brokers: string[] };

/** Connection settings shared by a service's producer (ClientKafka) and its consumer (hybrid microservice). */
function kafkaClientConfig(connection: KafkaConnection, role: 'consumer' | 'producer'): KafkaConfig {
  return {
    ...connection,
    clientId: `${connection.clientId}-${role}`,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    // Fail a send within seconds: the caller notices an outage (the waitroom's relay keeps its
    // backlog in Redis and tries again on its next pass), nothing is lost by giving up early here.
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 5 },
  };
}

export interface KafkaConsumerSettings {
  /** Exactly this id: the transport's `-server` postfix is turned off. */
  groupId: string;
  /** Where a group without committed offsets starts; an existing group resumes where it was. */
  fromBeginning: boolean;
  /** The transport also builds a producer (for replies never sent): the service's partitioner, so no warning. */
  createPartitioner: ICustomPartitioner;
  parser?: NonNullable<KafkaOptions['options']>['parser'];
}

/** The consumer side of a hybrid app: one group, auto-committed offsets, three partitions at a time. */
export function kafkaConsumerTransport(
  connection: KafkaConnection,
  settings: KafkaConsumerSettings,
): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: {
        ...kafkaClientConfig(connection, 'consumer'),
        // The consumer must outlive any outage: kafkajs restarts it after a crash, and these
        // retries cover the time in between.
        retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: 30 },
      },
      consumer: {
        groupId: settings.groupId,
        allowAutoTopicCreation: false,
        // A member that died without leaving (a killed pod) holds its partitions until this passes.
        sessionTimeout: 10000,
        heartbeatInterval: 2000,
      },
      subscribe: { fromBeginning: settings.fromBeginning },
      producer: { createPartitioner: settings.createPartitioner },
      postfixId: '',
      ...(settings.parser && { parser: settings.parser }),
      run: { autoCommit: true, partitionsConsumedConcurrently: 3 },
    },
  };
}

/** The producer side (ClientKafka): idempotent, acks from all in-sync replicas. */
export function kafkaProducerTransport(
  connection: KafkaConnection,
  createPartitioner: ICustomPartitioner,
): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: kafkaClientConfig(connection, 'producer'),
      producerOnlyMode: true,
      producer: { idempotent: true, allowAutoTopicCreation: false, createPartitioner },
      send: { acks: -1 },
      postfixId: '',
    },
  };
}
