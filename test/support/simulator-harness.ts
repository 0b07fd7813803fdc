import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Consumer } from 'kafkajs';
import { createSimulatorApp, shutdownSimulator } from '../../apps/checkout-simulator/src/bootstrap';
import { ConsumerState } from '@waitroom/kafka-consumer';
import {
  validateEnvironment,
  type SimulatorConfig,
} from '../../apps/checkout-simulator/src/config/environment';
import { eventually, HttpClient } from './app-harness';
import { TEST_KAFKA_BROKERS } from './test-env';

export interface RunningSimulator {
  app: NestFastifyApplication;
  config: SimulatorConfig;
  baseUrl: string;
  http: HttpClient;
  /** The value of one sample of /metrics (0 when absent), e.g. metric('..._tokens_rejected_total', { reason: 'unknown_key' }). */
  metric: (name: string, labels?: Record<string, string>) => Promise<number>;
  close: () => Promise<void>;
}

export interface SimulatorOptions {
  /** Variables as main.ts would read them; PORT, HOST, KAFKA_BROKERS and LOG_LEVEL have test defaults. */
  env: Record<string, string>;
  /** Consumer group; the contract's `checkout-simulator` by default. */
  groupId?: string;
}

/**
 * Starts the checkout simulator in-process (the same bootstrap as its main.ts) on a free port and
 * resolves once its consumer has joined the group and finished a first fetch, so every partition
 * has a position and a QUEUE_READY published from now on is read.
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const config = validateEnvironment({
    PORT: '0',
    HOST: '127.0.0.1',
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    LOG_LEVEL: 'error',
    ...options.env,
  });
  const app = await createSimulatorApp(config, { groupId: options.groupId });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // kafkajs resolves run() once the group is joined; a first completed fetch means offsets are resolved.
  const [microservice] = app.getMicroservices();
  await app.startAllMicroservices();
  const [, consumer] = microservice.unwrap<[unknown, Consumer]>();
  await new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.FETCH, () => {
      remove();
      resolve();
    });
  });
  await eventually(
    async () => app.get(ConsumerState).status,
    (status) => status === 'running',
  );
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  const http = new HttpClient(baseUrl);
  return {
    app,
    config,
    baseUrl,
    http,
    metric: async (name, labels = {}) => {
      const text = (await http.get<string>('/metrics')).body;
      const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!match || match[1] !== name) continue;
        const present = (match[2] ?? '').split(',');
        if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
      }
      return 0;
    },
    close: () => shutdownSimulator(app, 5000),
  };
}
