import { StoreUnavailableError } from '../redis/store-errors';

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
  if (error instanceof StoreUnavailableError) return true;
  for (const { name, retriable } of errorCauses(error)) {
    if (retriable === true) return true;
    if (typeof name === 'string' && TRANSIENT_KAFKA_ERRORS.has(name)) return true;
  }
  return false;
}

/** An error and the errors it wraps (`cause`, as kafkajs nests them), outermost first, at most 10. */
export function* errorCauses(
  error: unknown,
): Generator<{ name?: unknown; type?: unknown; retriable?: unknown }> {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && typeof current === 'object' && current !== null; depth++) {
    const layer = current as { name?: unknown; type?: unknown; retriable?: unknown; cause?: unknown };
    yield layer;
    current = layer.cause;
  }
}
