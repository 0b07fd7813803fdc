import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startConsumerInBackground } from '@waitroom/kafka-consumer';
import { configurationOrExit } from '@waitroom/service-kit';
import { createSimulatorApp, shutdownSimulator } from './bootstrap';
import { SIMULATOR_GROUP_ID } from './checkout/kafka-options';
import { validateEnvironment } from './config/environment';

async function main(): Promise<void> {
  const config = configurationOrExit(() => validateEnvironment(process.env));
  const app = await createSimulatorApp(config);
  const consumer = startConsumerInBackground(app, `QUEUE_READY as group ${SIMULATOR_GROUP_ID}`);
  await app.listen({ port: config.port, host: config.host });
  const logger = new Logger('CheckoutSimulator');
  logger.log(
    `listening on ${config.host}:${config.port}; checkout page /checkout, simulating ${[...config.simulatedEvents].join(', ')}`,
  );
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    consumer.stop();
    shutdownSimulator(app).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

void main();
