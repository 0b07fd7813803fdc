import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';

export interface RedisProcessOptions {
  /**
   * Start from this configuration file (e.g. deploy/redis/redis.conf, the stack's) instead of the
   * built-in "no persistence" settings; port, bind and dir still come from here. With a file that
   * turns AOF on, a restart (after {@link RedisProcess.stop} or {@link RedisProcess.kill}) reloads
   * the data: the data dir is kept until {@link RedisProcess.cleanup}.
   */
  configFile?: string;
}

/**
 * Redis servers a test starts and stops itself (outage tests, the Redis Cluster suite, durability),
 * on loopback ports of their own, by default with no persistence, in a temporary folder removed
 * afterwards. The folder is the same for every start() of one instance.
 */
export class RedisProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'waitroom-redis-'));
  private pid: number | undefined;

  constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
    private readonly options: RedisProcessOptions = {},
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server; `onceArgs` are added for this start only (after the constructor's). */
  async start(onceArgs: string[] = []): Promise<void> {
    const { configFile } = this.options;
    // A configuration file must come first. The server log stays in the data dir (to read after a failure).
    const args = configFile
      ? [
          configFile,
          '--port',
          String(this.port),
          '--bind',
          '127.0.0.1',
          '--logfile',
          join(this.dir, 'redis.log'),
        ]
      : [
          '--port',
          String(this.port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--logfile',
          join(this.dir, 'redis.log'),
        ];
    const child = spawn('redis-server', [...args, '--dir', this.dir, ...this.extraArgs, ...onceArgs], {
      stdio: 'ignore',
      detached: true,
    });
    child.unref();
    this.pid = child.pid;
    // Answers PONG only once the data (AOF) is loaded: until then Redis replies -LOADING.
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

  /**
   * SIGKILL, as a crash or an OOM kill would: no SHUTDOWN, so nothing is flushed beyond what the
   * configured fsync policy already wrote. Resolves once the port is closed.
   */
  async kill(): Promise<void> {
    if (this.pid === undefined) throw new Error(`redis on ${this.port} was not started by this process`);
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.pid = undefined;
    await waitForClosedPort(this.port);
  }

  /** SIGSTOP (`true`) or SIGCONT (`false`): a server that hangs, as a stalled VM or a long fork would. */
  pause(paused: boolean): void {
    if (this.pid === undefined) throw new Error(`redis on ${this.port} was not started by this process`);
    process.kill(this.pid, paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** The last lines of the server's log, to show why it failed. */
  logTail(lines = 30): string {
    try {
      return readFileSync(join(this.dir, 'redis.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  cleanup(): void {
    if (this.pid !== undefined) this.pause(false);
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForClosedPort(port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} still open ${timeoutMs} ms after SIGKILL`);
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

/**
 * A 3-master Redis Cluster on loopback, made with `redis-server --cluster-enabled yes` and
 * `redis-cli --cluster create`; with `replicasPerMaster`, that many replicas of each master too
 * (the nodes after the first three).
 */
export class RedisClusterProcesses {
  readonly nodes: RedisProcess[];

  /** `extraArgs`: more server options for every node (e.g. `--cluster-require-full-coverage no`). */
  constructor(
    readonly basePort: number,
    private readonly replicasPerMaster = 0,
    extraArgs: string[] = [],
  ) {
    this.nodes = Array.from({ length: 3 * (1 + replicasPerMaster) }, (_, i) => i).map(
      (i) =>
        new RedisProcess(basePort + i, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${basePort + i}.conf`,
          '--cluster-node-timeout',
          '2000',
          ...extraArgs,
        ]),
    );
  }

  /** The master node serving `key`'s slot now. */
  async masterOf(key: string): Promise<RedisProcess> {
    const port = await this.masterPortOf(key);
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    return node;
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
        String(this.replicasPerMaster),
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
    for (const node of this.nodes) await this.waitForReplicaLink(node);
  }

  /** The port of the master serving `key`'s slot now, as the node on `askPort` sees it. */
  async masterPortOf(key: string, askPort = this.nodes[0].port): Promise<number> {
    const client = new Redis(askPort, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    try {
      await client.connect();
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const range = ranges.find(([first, last]) => slot >= first && slot <= last);
      if (!range) throw new Error(`no master for slot ${slot}`);
      return Number(range[2][1]);
    } finally {
      client.disconnect();
    }
  }

  /** Waits until `node`, if it is a replica, has finished its sync with its master. */
  async waitForReplicaLink(node: RedisProcess, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = execFileSync('redis-cli', ['-p', String(node.port), 'info', 'replication'], {
        encoding: 'utf8',
      });
      if (info.includes('role:master') || info.includes('master_link_status:up')) return;
      if (Date.now() > deadline) throw new Error(`replica on ${node.port} did not sync`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  cleanup(): void {
    for (const node of this.nodes) node.cleanup();
  }
}

/**
 * A master, a replica and three Sentinels on loopback (quorum 2, `down-after-milliseconds` 1000,
 * as the dev stack's `STACK_REDIS=sentinel`), in temporary folders; for failover drills. The
 * data nodes run without persistence unless given a configuration file.
 */
export class RedisSentinelProcesses {
  readonly masterName = 'drill';
  /** The data nodes (the first master, then its replicas); which one is the master changes with each failover. */
  readonly nodes: RedisProcess[];
  readonly sentinelPorts: number[];
  private readonly sentinelDir = mkdtempSync(join(tmpdir(), 'waitroom-sentinel-'));
  private readonly sentinelPids: number[] = [];

  /** `replicas` replicas of the first master, on the ports after `basePort`. */
  constructor(basePort: number, options: RedisProcessOptions & { replicas?: number } = {}) {
    const replicas = options.replicas ?? 1;
    this.nodes = [
      new RedisProcess(basePort, [], options),
      ...Array.from(
        { length: replicas },
        (_, i) => new RedisProcess(basePort + 1 + i, ['--replicaof', '127.0.0.1', String(basePort)], options),
      ),
    ];
    this.sentinelPorts = [20000, 20001, 20002].map((offset) => basePort + offset);
  }

  /** REDIS_SENTINELS for the service. */
  get sentinelsSetting(): string {
    return this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
  }

  async start(): Promise<void> {
    for (const node of this.nodes) await node.start();
    for (const replica of this.nodes.slice(1)) await this.waitForReplicaLink(replica);
    for (const port of this.sentinelPorts) {
      const file = join(this.sentinelDir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.sentinelDir}`,
          `sentinel monitor ${this.masterName} 127.0.0.1 ${this.nodes[0].port} 2`,
          `sentinel down-after-milliseconds ${this.masterName} 1000`,
          `sentinel failover-timeout ${this.masterName} 5000`,
          `sentinel parallel-syncs ${this.masterName} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore', detached: true });
      child.unref();
      this.sentinelPids.push(child.pid!);
    }
    for (const port of this.sentinelPorts) await waitForPing(port);
    // Every Sentinel has found the replica and the other Sentinels before anything is killed.
    const deadline = Date.now() + 20000;
    for (const port of this.sentinelPorts) {
      for (;;) {
        const fields = execFileSync(
          'redis-cli',
          ['-p', String(port), 'sentinel', 'master', this.masterName],
          {
            encoding: 'utf8',
          },
        ).split('\n');
        const field = (name: string) => Number(fields[fields.indexOf(name) + 1]);
        if (field('num-slaves') >= this.nodes.length - 1 && field('num-other-sentinels') >= 2) break;
        if (Date.now() > deadline) throw new Error(`sentinel ${port} did not see the replica and its peers`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** The port of the master the Sentinels name now. */
  masterPort(): number {
    const reply = execFileSync(
      'redis-cli',
      ['-p', String(this.sentinelPorts[0]), 'sentinel', 'get-master-addr-by-name', this.masterName],
      { encoding: 'utf8' },
    );
    return Number(reply.trim().split('\n')[1]);
  }

  /** The data node on `port`. */
  node(port: number): RedisProcess {
    const node = this.nodes.find((each) => each.port === port);
    if (!node) throw new Error(`no data node on ${port}`);
    return node;
  }

  /** Resolves with the master's port once the Sentinels name another one than `oldMaster`. */
  async newMasterAfter(oldMaster: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const port = this.masterPort();
      if (port !== oldMaster) return port;
      if (Date.now() > deadline)
        throw new Error(`the Sentinels still name ${oldMaster} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Starts `node` (a dead one, empty) as a replica of the master on `masterPort`, synced. It
   * comes up as that replica (never for a moment an empty master), and with replica priority 0
   * until its first sync is done: the Sentinels never promote it while it holds nothing. (A soak
   * once lost every place that way: a slow box made the Sentinels fail the new master over to the
   * node just restarted, which was empty, and the old data was replaced by its empty copy.) The
   * first sync waits for the master's diskless-sync delay and shares two cores with whatever the
   * drill is running, so it is given longer than a quiet start.
   */
  async rejoinAsReplica(node: RedisProcess, masterPort: number, timeoutMs = 45_000): Promise<void> {
    await node.start(['--replicaof', '127.0.0.1', String(masterPort), '--replica-priority', '0']);
    await this.waitForReplicaLink(node, timeoutMs);
    const client = new Redis(node.port, '127.0.0.1');
    try {
      await client.config('SET', 'replica-priority', '100');
    } finally {
      client.disconnect();
    }
  }

  /** Waits until `replica` has finished its first sync with its master. */
  async waitForReplicaLink(replica: RedisProcess, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = execFileSync('redis-cli', ['-p', String(replica.port), 'info', 'replication'], {
        encoding: 'utf8',
      });
      if (info.includes('master_link_status:up')) return;
      if (Date.now() > deadline)
        throw new Error(
          `replica on ${replica.port} did not sync in ${timeoutMs} ms:\n${info}\n${replica.logTail()}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  cleanup(): void {
    for (const pid of this.sentinelPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const node of this.nodes) node.cleanup();
    rmSync(this.sentinelDir, { recursive: true, force: true });
  }
}
