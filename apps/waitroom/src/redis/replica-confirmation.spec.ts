import { ReplicaConfirmation } from './replica-confirmation';
import type { RedisClient } from './redis-client';
import { StoreUnavailableError } from './store-errors';

/** A client whose pipelines record their commands and answer WAIT with `acknowledged()`. */
function fakeClient(acknowledged: () => Promise<number> | number) {
  const probes: string[][] = [];
  const client = {
    status: 'ready',
    pipeline() {
      const commands: string[] = [];
      const pipeline = {
        set(key: string) {
          commands.push(`SET ${key}`);
          return pipeline;
        },
        wait(replicas: number, timeoutMs: number) {
          commands.push(`WAIT ${replicas} ${timeoutMs}`);
          return pipeline;
        },
        async exec() {
          probes.push(commands);
          return [
            [null, 'OK'],
            [null, await acknowledged()],
          ];
        },
      };
      return pipeline;
    },
  };
  return { client: client as unknown as RedisClient, probes };
}

describe('ReplicaConfirmation', () => {
  it('answers the callers of one event-loop phase with one probe: a write, then WAIT on the same connection', async () => {
    const { client, probes } = fakeClient(() => 1);
    const replicas = new ReplicaConfirmation(client, 1, 500, 'wr:');
    await Promise.all([
      replicas.confirm('wr:{a}:queue'),
      replicas.confirm('wr:{b}:queue'),
      replicas.confirm('x'),
    ]);
    expect(probes).toEqual([['SET wr:replication-probe', 'WAIT 1 500']]);
  });

  it('keeps one probe out at a time: callers that come meanwhile share the next', async () => {
    let release!: () => void;
    const first = new Promise<number>((resolve) => (release = () => resolve(2)));
    let calls = 0;
    const { client, probes } = fakeClient(() => (++calls === 1 ? first : 2));
    const replicas = new ReplicaConfirmation(client, 2, 500, 'wr:');
    const early = replicas.confirm('k');
    await new Promise((resolve) => setImmediate(resolve));
    const late = [replicas.confirm('k'), replicas.confirm('k')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(probes).toHaveLength(1);
    release();
    await Promise.all([early, ...late]);
    expect(probes).toHaveLength(2);
  });

  it('fails every caller of a probe with STORE_UNAVAILABLE when fewer replicas acknowledged in time', async () => {
    const { client } = fakeClient(() => 0);
    const replicas = new ReplicaConfirmation(client, 1, 500, 'wr:');
    const results = await Promise.allSettled([replicas.confirm('k'), replicas.confirm('k')]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
  });

  it('fails with STORE_UNAVAILABLE when the probe itself fails (the master is gone), and recovers', async () => {
    let down = true;
    const { client } = fakeClient(() => {
      if (down) throw new Error('Connection is closed.');
      return 1;
    });
    const replicas = new ReplicaConfirmation(client, 1, 500, 'wr:');
    await expect(replicas.confirm('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    down = false;
    await expect(replicas.confirm('k')).resolves.toBeUndefined();
  });
});
