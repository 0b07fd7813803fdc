import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HttpClient } from './app-harness';
import { ADMIN_KEY, TEST_KAFKA_BROKERS, TEST_REDIS_URL } from './test-env';

export const SERVICE_MAIN = join(
  __dirname,
  '..',
  '..',
  'dist',
  'apps',
  'waitroom',
  'apps',
  'waitroom',
  'src',
  'main.js',
);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The built service (dist/, as `npm start` runs it) in a child process: for what only a real
 * process shows — start-up failures, SIGTERM, several instances side by side.
 */
export class ServiceProcess {
  readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  http!: HttpClient;
  port = 0;

  constructor(private readonly env: Record<string, string>) {}

  /**
   * A process on the test stack (its Redis and Kafka, the admin key) with its keys under
   * `prefix`, no join rate limit and warnings only in its log; `env` adds or overrides settings.
   * Processes given one prefix are instances of one deployment.
   */
  static onStack(prefix: string, env: Record<string, string> = {}): ServiceProcess {
    return new ServiceProcess({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      ADMIN_API_KEY: ADMIN_KEY,
      JOIN_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      ...env,
    });
  }

  static assertBuilt(): void {
    if (!existsSync(SERVICE_MAIN))
      throw new Error(`${SERVICE_MAIN} is missing: run npm run build (scripts/test.sh does)`);
  }

  /** Starts the process; with waitReady, resolves once /health/ready answers 200. */
  async start(waitReady = true): Promise<void> {
    ServiceProcess.assertBuilt();
    this.port = this.env.PORT ? Number(this.env.PORT) : await freePort();
    this.http = new HttpClient(`http://127.0.0.1:${this.port}`);
    const child = spawn(process.execPath, [SERVICE_MAIN], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    if (!waitReady) return;
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`service exited early (${child.exitCode}):\n${this.output.join('')}`);
      try {
        if ((await this.http.get('/health/ready')).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`service not ready in 30 s:\n${this.output.join('')}`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async waitForExit(timeoutMs = 30000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exited) throw new Error('not started');
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit in ${timeoutMs} ms`)), timeoutMs),
      ),
    ]);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    try {
      await this.waitForExit(20000);
    } catch {
      this.child.kill('SIGKILL');
    }
  }
}
