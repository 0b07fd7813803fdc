import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { startConsumerInBackground } from '@waitroom/kafka-consumer';
import { configurationOrExit } from '@waitroom/service-kit';
import { createApp } from './http/bootstrap';
import { validateEnvironment } from './config/environment';
import { GracefulShutdown } from './shutdown';

async function main(): Promise<void> {
  // An optional .env (see .env.example) fills in what the real environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = configurationOrExit(() => validateEnvironment(process.env));
  const app = await createApp(env);
  const consumer = startConsumerInBackground(app, 'checkout topics as group waitroom-service');
  await app.listen({ port: env.PORT, host: env.HOST });
  new Logger('Waitroom').log(`listening on ${env.HOST}:${env.PORT} (OpenAPI UI at /api/docs)`);
  app.get(GracefulShutdown).arm(app, consumer);
}

void main();
