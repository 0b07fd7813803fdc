import { DomainError } from './domain-errors';

/** kafkajs errors that mean "the broker or the network is away right now", whatever their cause. */
const TRANSIENT_KAFKA_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);

/**
 * True for a failure that goes away by itself (Redis or Kafka unreachable, a timeout): the work
 * is worth trying again later, unchanged. False for everything else (a refusal, a bug), which
 * trying again will not fix. kafkajs wraps errors, so the whole `cause` chain is looked at.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof DomainError) return error.code === 'STORE_UNAVAILABLE';
  for (let current: unknown = error, depth = 0; current && depth < 10; depth++) {
    if (typeof current !== 'object') return false;
    const { name, retriable, cause } = current as { name?: unknown; retriable?: unknown; cause?: unknown };
    if (retriable === true) return true;
    if (typeof name === 'string' && TRANSIENT_KAFKA_ERRORS.has(name)) return true;
    current = cause;
  }
  return false;
}
