import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { assertTestRedis, TEST_KAFKA_BROKERS, TEST_REDIS_URL } from './test-env';

/** Fails fast, with the fix, when the stack the tests need is not running. */
export default async function globalSetup(): Promise<void> {
  assertTestRedis(TEST_REDIS_URL);
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    throw new Error(
      `Redis is not reachable at ${TEST_REDIS_URL}: run scripts/stack.sh up (or make stack-up) first`,
    );
  } finally {
    redis.disconnect();
  }
  const admin = new Kafka({
    brokers: TEST_KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes('CHECKOUT_COMPLETED'))
      throw new Error('topics missing: run scripts/create-kafka-topics.sh');
  } catch (error) {
    throw new Error(
      `Kafka is not ready at ${TEST_KAFKA_BROKERS} (${error instanceof Error ? error.message : String(error)}): run scripts/stack.sh up first`,
    );
  } finally {
    await admin.disconnect();
  }
}
