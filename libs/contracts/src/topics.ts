/**
 * Kafka topics of the public contract (shared CONTRACT.md), with their partition counts.
 * scripts/create-kafka-topics.sh creates exactly these; a unit test keeps the two in step.
 */
export const Topics = {
  QUEUE_JOINED: 'QUEUE_JOINED',
  QUEUE_LEFT: 'QUEUE_LEFT',
  QUEUE_READY: 'QUEUE_READY',
  CHECKOUT_COMPLETED: 'CHECKOUT_COMPLETED',
  CHECKOUT_FAILED: 'CHECKOUT_FAILED',
  CHECKOUT_EXPIRED: 'CHECKOUT_EXPIRED',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ProducedTopics = [Topics.QUEUE_JOINED, Topics.QUEUE_LEFT, Topics.QUEUE_READY] as const;
export type ProducedTopic = (typeof ProducedTopics)[number];

export const ConsumedTopics = [
  Topics.CHECKOUT_COMPLETED,
  Topics.CHECKOUT_FAILED,
  Topics.CHECKOUT_EXPIRED,
] as const;
export type ConsumedTopic = (typeof ConsumedTopics)[number];

export const TopicPartitions: Readonly<Record<Topic, number>> = {
  QUEUE_JOINED: 5,
  QUEUE_LEFT: 5,
  QUEUE_READY: 10,
  CHECKOUT_COMPLETED: 10,
  CHECKOUT_FAILED: 10,
  CHECKOUT_EXPIRED: 10,
};

/** Messages that fail validation on a consumed topic go to `<TOPIC>.DLQ`. */
export function deadLetterTopic(topic: ConsumedTopic): string {
  return `${topic}.DLQ`;
}

/** The consumer group id, exactly as operators look it up with kafka-consumer-groups. */
export const CONSUMER_GROUP_ID = 'waitroom-service';

/** Kafka header that carries the message id (also in the body) so consumers can dedupe. */
export const MESSAGE_ID_HEADER = 'message_id';
/** Header added to a dead-lettered message: why it was rejected. */
export const DLQ_ERROR_HEADER = 'error';
