import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

/**
 * Redis servers a test starts and stops itself (outage tests, the Redis Cluster suite), on
 * loopback ports of their own, with no persistence, in a temporary folder removed afterwards.
 */
export class RedisProcess {
  private dir = mkdtempSync(join(tmpdir(), 'waitroom-redis-'));

  constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        ...this.extraArgs,
      ],
      { stdio: 'ignore', detached: true },
    );
    child.unref();
    await waitForPing(this.port);
  }

  /** Stops the server at once (SHUTDOWN NOSAVE), as an outage would. */
  stop(): void {
    try {
      execFileSync('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], {
        stdio: 'ignore',
        timeout: 5000,
      });
    } catch {
      // already gone: redis-cli reports the closed connection as an error
    }
  }

  cleanup(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPing(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch {
      client.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`redis-server on ${port} did not start`);
}

/** A 3-master Redis Cluster on loopback, made with `redis-server --cluster-enabled yes` and `redis-cli --cluster create`. */
export class RedisClusterProcesses {
  readonly nodes: RedisProcess[];

  constructor(readonly basePort: number) {
    this.nodes = [0, 1, 2].map(
      (i) =>
        new RedisProcess(basePort + i, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${basePort + i}.conf`,
          '--cluster-node-timeout',
          '2000',
        ]),
    );
  }

  get nodesSetting(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  async start(): Promise<void> {
    for (const node of this.nodes) await node.start();
    execFileSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      {
        stdio: 'ignore',
        timeout: 30000,
      },
    );
    // Wait until every node agrees the cluster is up.
    const deadline = Date.now() + 20000;
    for (const node of this.nodes) {
      for (;;) {
        const info = execFileSync('redis-cli', ['-p', String(node.port), 'cluster', 'info'], {
          encoding: 'utf8',
        });
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error('redis cluster did not become ready');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  cleanup(): void {
    for (const node of this.nodes) node.cleanup();
  }
}
