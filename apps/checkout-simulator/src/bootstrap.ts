import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SimulatorModule } from './app.module';
import { CheckoutService } from './checkout/checkout.service';
import { kafkaConsumerOptions, SIMULATOR_GROUP_ID } from './checkout/kafka-options';
import { ConsumerState, RawRecordKafkaServer } from '@waitroom/kafka-consumer';
import type { SimulatorConfig } from './config/environment';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Bound on a graceful shutdown: pending checkouts get most of it. */
const SHUTDOWN_BUDGET_MS = 10_000;

interface CreateOptions {
  /** Consumer group; the contract's `checkout-simulator` unless a caller has a reason. */
  groupId?: string;
}

/**
 * Builds the hybrid application (HTTP on Fastify + the QUEUE_READY consumer) without listening,
 * so main.ts and the tests start exactly the same thing.
 */
export async function createSimulatorApp(
  config: SimulatorConfig,
  options: CreateOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    SimulatorModule.forConfig(config),
    new FastifyAdapter({ logger: false }),
    {
      logger: new ConsoleLogger({
        colors: process.stdout.isTTY === true,
        logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel as LogLevel) + 1),
      }),
    },
  );
  const consumerOptions = kafkaConsumerOptions(config, options.groupId ?? SIMULATOR_GROUP_ID).options ?? {};
  app.connectMicroservice<MicroserviceOptions>(
    { strategy: new RawRecordKafkaServer(consumerOptions, app.get(ConsumerState), 'skip') },
    { inheritAppConfig: true },
  );
  return app;
}

/**
 * Graceful shutdown, in the order that loses least:
 * 1. leave the consumer group, so records not yet read stay for the next member or start,
 * 2. publish every pending checkout now (CheckoutService.drain); what the broker has not
 *    acknowledged within the budget is dropped and those sessions expire at the waitroom,
 * 3. close HTTP and the producer.
 */
export async function shutdownSimulator(
  app: NestFastifyApplication,
  budgetMs = SHUTDOWN_BUDGET_MS,
): Promise<void> {
  const started = Date.now();
  const left = () => Math.max(0, budgetMs - (Date.now() - started));
  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([
      promise.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  // Leaving the group can wait on a rebalance in progress: a quarter of the budget, no more.
  await within(Promise.all(app.getMicroservices().map((server) => server.close())), budgetMs * 0.25);
  await app.get(CheckoutService).drain(Math.max(0, left() - budgetMs * 0.2));
  await within(app.close(), left());
}
