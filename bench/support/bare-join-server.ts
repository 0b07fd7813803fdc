/**
 * The baseline of bench/join.bench.ts: the least a join endpoint can do over the same Redis
 * work. node:http, one ioredis connection with default options, JSON.parse of the body, the
 * very same join-10.lua with the same KEYS/ARGV as QueueRepository.join (rate limit off),
 * and the same answer: the contract's join body, built by the service's own parseSessionReply
 * and sessionView from the script's reply, its session id signed with the same kind of ticket
 * (a key kept under its key prefix), so both servers put the same body on the wire.
 * No framework, validation, hooks, security headers or logging.
 *
 * Also (bench/poll.bench.ts) GET and DELETE /api/v1/waitroom/sessions/:id with the same
 * get-session and leave scripts and wrappers as QueueRepository, answering the same bodies.
 *
 * Runs as a child process (its own event loop, like the service); tells the parent its port
 * over IPC. Env: REDIS_URL, REDIS_KEY_PREFIX, and BARE_VARIANT for the what-if variants:
 * `auto-pipelining` (ioredis's) or `coalesced` (the service's WriteCoalescer around each EVALSHA),
 * or `minimal`: the least a join must do (minimal-join.lua: user index, sequence, queue entry,
 * session hash, outbox entry) answering the contract's fields straight from the script's reply,
 * the baseline the service's whole join is measured against.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { loadLuaScripts } from '../../apps/waitroom/src/redis/lua-scripts';
import { RedisKeys } from '../../apps/waitroom/src/redis/redis-keys';
import { parseSessionReply } from '../../apps/waitroom/src/queue/session-reply';
import { randomUUID } from 'node:crypto';
import { parseSessionId } from '../../apps/waitroom/src/queue/session-id';
import { useSessionTicketKey } from '../../apps/waitroom/src/queue/session-ticket';
import { sessionView } from '../../apps/waitroom/src/queue/views';
import { getSessionScript, leaveScript } from '../../apps/waitroom/src/queue/queue.scripts';
import { WriteCoalescer } from '../../apps/waitroom/src/redis/write-coalescer';
import { joinCall, minimalJoinCall, minimalJoinScript, readOrCreateSessionTicketKey } from './lua';

const OUTBOX_MAX_BACKLOG = 1_000_000; // the service's default
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6390', {
  enableAutoPipelining: process.env.BARE_VARIANT === 'auto-pipelining',
});
const writes = process.env.BARE_VARIANT === 'coalesced' ? new WriteCoalescer(redis) : null;
// At the end the benchmark may stop its Redis before this server: no error storm in its log.
redis.on('error', () => undefined);
const keys = new RedisKeys(process.env.REDIS_KEY_PREFIX ?? 'bare:');
const scripts = loadLuaScripts();
const join = scripts.get('join')!;
const getSession = scripts.get('get-session')!;
const leave = scripts.get('leave')!;
const minimalJoin = minimalJoinScript;
const MINIMAL = process.env.BARE_VARIANT === 'minimal';
const SESSIONS_PATH = '/api/v1/waitroom/sessions/';
const SESSION_RETENTION_SECONDS = 3600; // the service's default

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
  if (MINIMAL) return minimalJoinOf(eventId, body.user_id, response);
  const call = joinCall(keys.forEvent(eventId), body.user_id, {
    priority: typeof body.priority === 'number' ? body.priority : 0,
    outboxLimit: OUTBOX_MAX_BACKLOG,
    rateLimitPerMinute: 0,
  });
  let reply: (string | number)[];
  try {
    writes?.hold();
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

/** The `minimal` variant's join: one EVALSHA of minimal-join.lua, a small body of its own. */
async function minimalJoinOf(eventId: string, userId: string, response: ServerResponse): Promise<void> {
  const eventKeys = keys.forEvent(eventId);
  const reply = (await redis.evalsha(
    minimalJoin.sha,
    minimalJoin.numberOfKeys,
    ...minimalJoinCall(eventKeys, userId),
  )) as [string, string, number];
  const [code, member, position] = reply;
  // The contract's fields, so both servers put bodies of the same shape and about the same size
  // on the wire; nothing in them is computed beyond what the script returned.
  send(response, code === 'CREATED' ? 201 : 200, {
    session_id: `${eventId}~${member}`,
    user_id: userId,
    event_id: eventId,
    priority: 0,
    status: 'queued',
    position,
    queue_length: position,
    estimated_wait_seconds: null,
    joined_at: new Date().toISOString(),
    admitted_at: null,
    expires_at: null,
    admission_token: null,
    left_reason: null,
    event_message: null,
  });
}

/** GET (get-session) or DELETE (leave) of one session, as QueueService does, without the framework. */
async function handleSession(method: string, sessionId: string, response: ServerResponse): Promise<void> {
  const ref = parseSessionId(sessionId);
  if (!ref) return send(response, 404, { code: 'SESSION_NOT_FOUND' });
  const eventKeys = keys.forEvent(ref.eventId);
  if (method === 'GET') {
    const call = getSessionScript.build({ keys: eventKeys, memberId: ref.member });
    const reply = await redis.evalsha(getSession.sha, call.keys.length, ...call.keys, ...call.args);
    const session = getSessionScript.parse(reply, { keys: eventKeys, memberId: ref.member });
    if (!session) return send(response, 404, { code: 'SESSION_NOT_FOUND' });
    return send(response, 200, sessionView(session, null));
  }
  const input = {
    keys: eventKeys,
    memberId: ref.member,
    messageId: randomUUID(),
    retentionSeconds: SESSION_RETENTION_SECONDS,
  };
  const call = leaveScript.build(input);
  const reply = leaveScript.parse(
    await redis.evalsha(leave.sha, call.keys.length, ...call.keys, ...call.args),
    input,
  );
  if (reply.code === 'NOT_FOUND') return send(response, 404, { code: 'SESSION_NOT_FOUND' });
  send(response, 200, { session_id: sessionId, status: reply.status });
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  const url = request.url ?? '';
  if ((request.method === 'GET' || request.method === 'DELETE') && url.startsWith(SESSIONS_PATH)) {
    const sessionId = decodeURIComponent(url.slice(SESSIONS_PATH.length));
    handleSession(request.method, sessionId, response).catch(() =>
      send(response, 503, { code: 'STORE_UNAVAILABLE' }),
    );
    return;
  }
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

/** The session-ticket key, as the service loads it: ids then carry the same signed ticket. */
async function useTicketKey(): Promise<void> {
  useSessionTicketKey(await readOrCreateSessionTicketKey(redis, keys));
}

redis.once('ready', () => {
  // A Redis of the benchmark's own starts empty: every script this server calls is loaded first.
  const scriptsLoaded = Promise.all(
    [join, getSession, leave, minimalJoin].map((each) => redis.script('LOAD', each.source)),
  );
  void Promise.all([scriptsLoaded, useTicketKey()]).then(() =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
    }),
  );
});

// The benchmark gone (even killed): no orphan server.
process.on('disconnect', () => process.exit(0));

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void redis.quit().finally(() => process.exit(0));
});
