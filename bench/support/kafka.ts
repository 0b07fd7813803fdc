import { CONSUMER_GROUP_ID } from '@waitroom/contracts';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { KAFKA_BROKERS, log, numberOption, sleep } from './common';

export function benchKafka(clientId: string): Kafka {
  for (const broker of KAFKA_BROKERS.split(',')) {
    const host = broker.slice(0, broker.lastIndexOf(':'));
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
      throw new Error(`refusing broker ${broker}: benchmarks run over loopback only`);
  }
  return new Kafka({
    clientId,
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
  });
}

/**
 * The service joins consumer group `waitroom-service` (its checkout consumer cannot be turned
 * off), the same group the integration tests' apps join. A benchmark service in the group while
 * a test runs would take some of the test's checkout messages, so wait until the group is
 * empty (up to --group-wait seconds, default 120) before starting one.
 */
export async function waitForIdleServiceGroup(): Promise<{ waitedMs: number; membersAtStart: number }> {
  const admin = benchKafka('waitroom-bench-admin').admin();
  await admin.connect();
  const started = Date.now();
  const deadline = started + numberOption('group-wait', 120) * 1000;
  let membersAtStart = -1;
  try {
    for (;;) {
      const { groups } = await admin.describeGroups([CONSUMER_GROUP_ID]);
      const members = groups[0]?.members.length ?? 0;
      if (membersAtStart < 0) membersAtStart = members;
      if (members === 0) break;
      if (Date.now() > deadline) {
        log(
          `warning: group ${CONSUMER_GROUP_ID} still has ${members} member(s) (tests or a dev service running?); starting anyway`,
        );
        break;
      }
      if (Date.now() - started < 1500)
        log(
          `group ${CONSUMER_GROUP_ID} has ${members} member(s); waiting for it to be empty before starting a service`,
        );
      await sleep(2000);
    }
  } finally {
    await admin.disconnect();
  }
  return { waitedMs: Date.now() - started, membersAtStart };
}

/** An independent consumer (own group, latest offsets) that timestamps the messages of one event. */
export async function startCollector(
  groupId: string,
  topic: string,
  eventId: string,
  onMessage: (body: any, at: number) => void,
): Promise<Consumer> {
  const consumer = benchKafka('waitroom-bench-collector').consumer({ groupId, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((done) => consumer.on(consumer.events.GROUP_JOIN, () => done()));
  const marker = `"event_id":"${eventId}"`;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const at = performance.now();
      const text = message.value?.toString('utf8') ?? '';
      if (text.includes(marker)) onMessage(JSON.parse(text), at);
    },
  });
  await joined;
  return consumer;
}
