import autocannon from 'autocannon';
import { httpJson, putEvent, runBenchmark, startService, onCleanup, log } from './support/common';
import { startOwnRedis } from './support/own-redis';

async function main(): Promise<void> {
  const { url } = await startOwnRedis('trace');
  const service = await startService('wr:', { REDIS_URL: url, LOG_LEVEL: 'error' });
  onCleanup(() => service.stop());
  log(`service pid ${service.child.pid}`);
  await putEvent(service.baseUrl, 'poll-ev', { capacity: 1_000_000, state: 'paused' });
  const ids: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const r = await httpJson('POST', `${service.baseUrl}/api/v1/waitroom/join`, { user_id: `u${i}`, event_id: 'poll-ev' });
    ids.push((r.body as { session_id: string }).session_id);
  }
  let next = 0;
  let count = 0;
  const timer = setInterval(() => { log(`${count}/s`); count = 0; }, 1000);
  await new Promise<void>((done) => {
    const inst = autocannon({ url: service.baseUrl, connections: 50, duration: Number(process.env.DUR ?? 60), requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/v1/waitroom/sessions/${encodeURIComponent(ids[next++ % ids.length])}` }) }] }, () => done());
    inst.on('response', () => count++);
  });
  clearInterval(timer);
}
runBenchmark(main);
