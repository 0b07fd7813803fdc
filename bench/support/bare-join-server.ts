/**
 * The baseline of bench/join.bench.ts: the least a join endpoint can do over the same Redis
 * work. node:http, one ioredis connection with default options, JSON.parse of the body, the
 * very same join-10.lua with the same KEYS/ARGV as WaitroomRepository.join (rate limit off),
 * and the same answer: the contract's join body, built by the service's own parseSessionReply
 * and sessionView from the script's reply, so both servers put the same body on the wire.
 * No framework, validation, hooks, security headers or logging.
 *
 * Runs as a child process (its own event loop, like the service); tells the parent its port
 * over IPC. Env: REDIS_URL, REDIS_KEY_PREFIX, BARE_AUTO_PIPELINING=1 (the what-if variant).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { loadLuaScripts } from '../../apps/waitroom/src/redis/lua-scripts';
import { RedisKeys } from '../../apps/waitroom/src/redis/redis-keys';
import { parseSessionReply } from '../../apps/waitroom/src/waitroom/session-reply';
import { sessionView } from '../../apps/waitroom/src/waitroom/views';
import { joinCall } from './lua';

const OUTBOX_MAX_BACKLOG = 1_000_000; // the service's default
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6390', {
  enableAutoPipelining: process.env.BARE_AUTO_PIPELINING === '1',
});
const keys = new RedisKeys(process.env.REDIS_KEY_PREFIX ?? 'bare:');
const join = loadLuaScripts().get('join')!;

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function handleJoin(raw: string, response: ServerResponse): Promise<void> {
  let body: { user_id?: unknown; event_id?: unknown; priority?: unknown };
  try {
    body = JSON.parse(raw);
  } catch {
    return send(response, 400, { code: 'VALIDATION_FAILED' });
  }
  if (typeof body.user_id !== 'string' || typeof body.event_id !== 'string')
    return send(response, 400, { code: 'VALIDATION_FAILED' });
  const eventId = body.event_id;
  const call = joinCall(keys.forEvent(eventId), body.user_id, {
    priority: typeof body.priority === 'number' ? body.priority : 0,
    outboxLimit: OUTBOX_MAX_BACKLOG,
    rateLimitPerMinute: 0,
  });
  let reply: (string | number)[];
  try {
    reply = (await redis.evalsha(join.sha, join.numberOfKeys, ...call)) as (string | number)[];
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT')))
      return send(response, 503, { code: 'STORE_UNAVAILABLE' });
    reply = (await redis.eval(join.source, join.numberOfKeys, ...call)) as (string | number)[];
  }
  if (reply[0] !== 'CREATED' && reply[0] !== 'EXISTING')
    return send(response, reply[0] === 'EVENT_NOT_FOUND' ? 404 : 409, { code: reply[0] });
  // The benchmark's events are paused: nobody is admitted, so there is never a token to sign.
  send(response, reply[0] === 'CREATED' ? 201 : 200, sessionView(parseSessionReply(eventId, reply), null));
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  if (request.method !== 'POST' || request.url !== '/api/v1/waitroom/join')
    return send(response, 404, { code: 'ROUTE_NOT_FOUND' });
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    handleJoin(Buffer.concat(chunks).toString('utf8'), response).catch(() =>
      send(response, 500, { code: 'INTERNAL_ERROR' }),
    );
  });
});
server.keepAliveTimeout = 30_000;

redis.once('ready', () => {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
});

// The benchmark gone (even killed): no orphan server.
process.on('disconnect', () => process.exit(0));

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void redis.quit().finally(() => process.exit(0));
});
