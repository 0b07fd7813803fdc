import { Logger, type INestApplication } from '@nestjs/common';

/**
 * Starts an app's Kafka consumer without holding up HTTP: with the broker away at start-up the
 * app still serves (readiness says why) and the consumer keeps trying in the background.
 * `consuming` names what it consumes, for the log line once it runs.
 */
export function startConsumerInBackground(
  app: INestApplication,
  consuming: string,
  retryMs = 5000,
): { stop: () => void } {
  const logger = new Logger('KafkaConsumer');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async () => {
    try {
      await app.startAllMicroservices();
      logger.log(`consuming ${consuming}`);
    } catch (error) {
      if (stopped) return;
      logger.warn(
        `consumer not started (${error instanceof Error ? error.message : String(error)}); retrying in ${retryMs} ms`,
      );
      timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  void attempt();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
