import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { proxyTrust } from './client-address';
import { answerClientError, answerFrameworkError, MAX_PATH_PARAM_LENGTH } from './framework-errors';
import { acceptOnlyJsonBodies, BODY_LIMIT_BYTES } from './json-body';
import { addResponseHeaders } from './response-headers';
import { createValidationPipe, SCHEMA_VALIDATOR_OPTIONS } from './validation';
import { Environment } from '../config/environment';
import { kafkaConsumerOptions } from '../events/kafka-options';
import { MetricsService } from '../metrics/metrics.service';
import { JoinFastLane, JOIN_ROUTE } from './join-fast-lane';
import { PollFastLane, SESSION_ROUTE } from './poll-fast-lane';
import { GateFastLane, GATE_ROUTE } from '../gate/gate-fast-lane';
import { OPENAPI_PATH, setupOpenApi } from './openapi';
import { ConsumerState, RawRecordKafkaServer } from '@waitroom/kafka-consumer';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Builds the hybrid application (HTTP on Fastify + the Kafka consumer) without listening, so
 * main.ts and the end-to-end tests start exactly the same thing.
 */
export async function createApp(env: Environment): Promise<NestFastifyApplication> {
  // Status polls of queued sessions, gate checks and ordinary joins are answered before Fastify
  // sees them (poll-fast-lane.ts, gate/gate-fast-lane.ts, join-fast-lane.ts); the lanes exist once the application does, and
  // until then every request goes to Fastify.
  const lanes: { poll?: PollFastLane; join?: JoinFastLane; gate?: GateFastLane } = {};
  const adapter = new FastifyAdapter({
    serverFactory: (handler: (request: IncomingMessage, response: ServerResponse) => void) =>
      createServer((request, response) => {
        if (lanes.poll?.answer(request, response)) return;
        if (lanes.gate?.answer(request, response)) return;
        if (lanes.join?.answer(request, response, () => handler(request, response))) return;
        handler(request, response);
      }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Trust exactly TRUST_PROXY_HOPS proxies in front of us (hop 0 is the nearest one).
    trustProxy: proxyTrust(env),
    // Nest logs; Fastify's own request log would double every line.
    logger: false,
    // The request id the logs and the x-request-id header carry.
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    // Route schemas (the join body): SCHEMA_VALIDATOR_OPTIONS.
    ajv: { customOptions: SCHEMA_VALIDATOR_OPTIONS },
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // What fails before Nest routes a request still answers in the one error shape.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forEnvironment(env), adapter, {
    // Nest would add a form-encoded parser; acceptOnlyJsonBodies below registers the one parser.
    bodyParser: false,
    logger: new ConsoleLogger({
      json: env.LOG_FORMAT === 'json',
      // isTTY is undefined (not false) when redirected; undefined would mean Nest's default, colours on.
      colors: env.LOG_FORMAT === 'text' && process.stdout.isTTY === true,
      logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(env.LOG_LEVEL as LogLevel) + 1),
    }),
  });
  const metrics = app.get(MetricsService);
  const pollLane = app.get(PollFastLane);
  pollLane.onAnswered = metrics.httpRequestObserver('GET', SESSION_ROUTE, 200);
  const joinLane = app.get(JoinFastLane);
  joinLane.onAnswered = metrics.httpRequestRecorder('POST', JOIN_ROUTE);
  const gateLane = app.get(GateFastLane);
  gateLane.onAnswered = metrics.httpRequestRecorder('GET', GATE_ROUTE);
  lanes.poll = pollLane;
  lanes.gate = gateLane;
  lanes.join = joinLane;
  acceptOnlyJsonBodies(app.getHttpAdapter().getInstance(), BODY_LIMIT_BYTES);
  addResponseHeaders(app.getHttpAdapter().getInstance(), `/${OPENAPI_PATH}`);
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  const consumerOptions = kafkaConsumerOptions(env).options ?? {};
  app.connectMicroservice<MicroserviceOptions>(
    { strategy: new RawRecordKafkaServer(consumerOptions, app.get(ConsumerState), 'retry') },
    { inheritAppConfig: true },
  );
  return app;
}
