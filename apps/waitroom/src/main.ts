import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { startConsumerInBackground } from '@waitroom/kafka-consumer';
import { createApp } from './http/bootstrap';
import { InvalidConfigurationError, validateEnvironment, type Environment } from './config/environment';
import { GracefulShutdown } from './shutdown';

async function main(): Promise<void> {
  // An optional .env (see .env.example) fills in what the real environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let env: Environment;
  try {
    env = validateEnvironment(process.env);
  } catch (error) {
    if (error instanceof InvalidConfigurationError) {
      // One clear line, no stack: the operator only needs the variable and the reason.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(env);
  const consumer = startConsumerInBackground(app, 'checkout topics as group waitroom-service');
  await app.listen({ port: env.PORT, host: env.HOST });
  new Logger('Waitroom').log(`listening on ${env.HOST}:${env.PORT} (OpenAPI UI at /api/docs)`);
  app.get(GracefulShutdown).arm(app, consumer);
}

void main();
