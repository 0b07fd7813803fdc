/**
 * The app's own Lua scripts and key layout, called the way its repositories call them, so a
 * benchmark can fill a queue or run an admission step without going through HTTP.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import type Redis from 'ioredis';
import { loadLuaScripts, type LuaScript, type LuaSettings } from '../../apps/waitroom/src/redis/lua-scripts';
import { RedisKeys, type EventKeys } from '../../apps/waitroom/src/redis/redis-keys';
import {
  configToHashFields,
  DEFAULT_BOT_CHECK_MAX_NUMBER,
  type EventConfig,
} from '../../apps/waitroom/src/queue/event-config';
import { admissionStepScript } from '../../apps/waitroom/src/admission/admission.scripts';
import { newMemberId } from '../../apps/waitroom/src/queue/session-id';
import {
  joinScript,
  sessionTicketKeyCommand,
  upsertEventScript,
} from '../../apps/waitroom/src/queue/queue.scripts';
import { DIST_SCRIPTS_DIR, serviceEnvOverrides, SOURCE_SCRIPTS_DIR, sleep } from './common';

export { RedisKeys, type EventKeys };

/**
 * The scripts' settings of the service under test (`--service-env=OUTBOX_ENTRY_FORMAT=fields`):
 * what a benchmark writes itself, such as a prefilled outbox, is then what that service writes.
 */
function luaSettings(): LuaSettings {
  return { OUTBOX_ENTRY_FORMAT: serviceEnvOverrides().OUTBOX_ENTRY_FORMAT };
}

/** The scripts from apps/waitroom/src/redis/scripts (the source the build copies). */
export function appScripts(): Map<string, LuaScript> {
  return loadLuaScripts(SOURCE_SCRIPTS_DIR, luaSettings());
}

export function script(scripts: Map<string, LuaScript>, name: string): LuaScript {
  const found = scripts.get(name);
  if (!found) throw new Error(`no Lua script ${name}`);
  return found;
}

/** The built service must run the same join/admission Lua as the source the baselines load. */
export function checkDistScriptsMatch(names: string[]): void {
  const source = appScripts();
  const dist = loadLuaScripts(DIST_SCRIPTS_DIR, luaSettings());
  for (const name of names) {
    if (script(source, name).sha !== script(dist, name).sha) {
      throw new Error(`dist/ runs a different ${name} script than apps/ (rebuild: --build=always)`);
    }
  }
}

export async function loadIntoRedis(redis: Redis, scripts: Map<string, LuaScript>): Promise<void> {
  for (const each of scripts.values()) await redis.script('LOAD', each.source);
}

/** The JoinRequestDto limits the service applies; the Lua scripts take any number. */
export const HUGE_CAPACITY = 10_000_000;

export type EventSettings = Omit<EventConfig, 'eventId' | 'createdAtMs' | 'updatedAtMs'>;

export function eventSettings(overrides: Partial<EventSettings> = {}): EventSettings {
  return {
    capacity: HUGE_CAPACITY,
    admissionRatePerMinute: null,
    checkoutTimeoutSeconds: 600,
    state: 'paused',
    opensAtMs: null,
    shuffleAtOpen: false,
    idleTimeoutSeconds: null,
    checkoutUrl: null,
    botCheck: 'off',
    botCheckMaxNumber: DEFAULT_BOT_CHECK_MAX_NUMBER,
    gateOrigins: [],
    passthroughWhenFree: false,
    shards: 1,
    joinIdentityJwk: null,
    message: null,
    closesAtMs: null,
    displayName: null,
    brandColor: null,
    logoUrl: null,
    ...overrides,
  };
}

/** Registers an event and marks it as having work (as the admin API and a join do). */
export async function registerEvent(redis: Redis, keys: RedisKeys, eventId: string): Promise<void> {
  await redis.sadd(keys.eventRegistry, eventId);
  await redis.zadd(keys.activeEvents, Date.now(), eventId);
}

/** Who holds the relay leases the benchmarks take: a stand-in for another instance. */
export const BENCH_LEASE_OWNER = 'bench-another-instance';

/**
 * Takes an event's outbox relay lease as another instance would, for an hour: the service's
 * relay then leaves the event alone (as every instance but one does in production), so its
 * joins are measured without this instance publishing them. Their entries stay in the outbox
 * until the benchmark deletes its keys.
 */
export async function holdRelayLease(redis: Redis, keys: RedisKeys, eventId: string): Promise<void> {
  await redis.set(keys.forEvent(eventId).outboxLease, BENCH_LEASE_OWNER, 'PX', 3_600_000);
}

/** A Redis with the app's scripts loaded, and the key layout a benchmark writes there under. */
export interface ScriptedRedis {
  redis: Redis;
  scripts: Map<string, LuaScript>;
  keys: RedisKeys;
}

/**
 * Writes an event's config with upsert-event-3.lua, as QueueRepository.upsertEvent does.
 * `register` adds it to the event registry and marks it active, which is what makes the
 * service's admission scheduler and outbox relay look at it (the admin API always does both).
 */
export async function upsertEvent(
  { redis, scripts, keys }: ScriptedRedis,
  eventId: string,
  settings: EventSettings,
  register: boolean,
): Promise<void> {
  if (register) await registerEvent(redis, keys, eventId);
  const upsert = script(scripts, 'upsert-event');
  const call = upsertEventScript.build({
    keys: keys.forEvent(eventId),
    seed: randomBytes(16).toString('hex'),
    fields: configToHashFields(settings),
    actor: 'bench',
    auditCap: 10_000,
  });
  await redis.evalsha(upsert.sha, call.keys.length, ...call.keys, ...call.args);
}

export const OUTBOX_UNLIMITED = 1_000_000_000;

/**
 * The minimal join of the benchmarks' baselines (minimal-join.lua beside this file): the least a
 * join must do, not the service's script. Its KEYS/ARGV for one user of an event.
 */
export const minimalJoinScript: LuaScript = (() => {
  const source = readFileSync(joinPath(__dirname, 'minimal-join.lua'), 'utf8');
  return {
    name: 'minimal-join',
    source,
    sha: createHash('sha1').update(source).digest('hex'),
    numberOfKeys: 5,
  };
})();

export function minimalJoinCall(eventKeys: EventKeys, userId: string, now = Date.now()): (string | number)[] {
  return [
    `${eventKeys.userPrefix}${userId}`,
    `${eventKeys.config}:minimal-sequence`,
    eventKeys.queue,
    eventKeys.sessionPrefix,
    eventKeys.outbox,
    userId,
    randomUUID(),
    now,
  ];
}

/** KEYS then ARGV of join-12.lua, built by the app's own wrapper with the ids QueueRepository.join draws. */
export function joinCall(
  keys: EventKeys,
  userId: string,
  options: {
    priority?: number;
    outboxLimit?: number;
    rateLimitPerMinute?: number;
    clientAddress?: string;
  } = {},
): (string | number)[] {
  const call = joinScript.build({
    keys,
    memberId: newMemberId(),
    shards: 1,
    messageId: randomUUID(),
    userId,
    priority: options.priority ?? 0,
    clientAddress: options.clientAddress ?? '127.0.0.1',
    outboxLimit: options.outboxLimit ?? OUTBOX_UNLIMITED,
    joinsPerMinute: options.rateLimitPerMinute ?? 0,
  });
  return [...call.keys, ...call.args];
}

/** KEYS then ARGV of admission-tick-9.lua, built by the app's own wrapper. */
export function admissionCall(
  keys: EventKeys,
  batchMax: number,
  retentionSeconds = 3600,
): (string | number)[] {
  const call = admissionStepScript.build({ keys, batchMax, retentionSeconds, messageIdPrefix: randomUUID() });
  return [...call.keys, ...call.args];
}

/**
 * `count` EVALSHA calls of one script, pipelined: `chunk` calls a pipeline, `inFlight` pipelines
 * at a time, so Redis never waits for the client. `call(i)` gives the i-th call's KEYS then ARGV;
 * `check` sees every reply (an error reply throws); `afterChunk` runs after each pipeline.
 */
export async function pipelinedEvalsha(
  redis: Redis,
  lua: LuaScript,
  count: number,
  call: (index: number) => (string | number)[],
  options: {
    chunk: number;
    inFlight: number;
    check: (reply: unknown) => void;
    afterChunk?: (size: number) => Promise<unknown>;
  },
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      const size = Math.min(options.chunk, count - from);
      next += size;
      const pipeline = redis.pipeline();
      for (let i = 0; i < size; i++) pipeline.evalsha(lua.sha, lua.numberOfKeys, ...call(from + i));
      for (const [error, reply] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        options.check(reply);
      }
      await options.afterChunk?.(size);
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
}

/**
 * Adds `count` queued sessions with join-12.lua through pipelined EVALSHA (a few pipelines in
 * flight, so Redis never waits for the client). User ids are `${userPrefix}${index}`.
 * `dropOutbox` deletes the QUEUE_JOINED entries as it goes (they are not what is measured).
 */
export async function prefillJoins(
  redis: Redis,
  join: LuaScript,
  keys: EventKeys,
  count: number,
  options: {
    userPrefix: string;
    firstIndex?: number;
    dropOutbox?: boolean;
    chunk?: number;
    inFlight?: number;
  },
): Promise<{ ms: number; perSecond: number }> {
  const first = options.firstIndex ?? 0;
  const started = performance.now();
  let sinceDrop = 0;
  await pipelinedEvalsha(redis, join, count, (i) => joinCall(keys, `${options.userPrefix}${first + i}`), {
    chunk: options.chunk ?? 2000,
    inFlight: options.inFlight ?? 3,
    check: (reply) => {
      const code = (reply as string[])[0];
      if (code !== 'CREATED') throw new Error(`prefill join: ${code}`);
    },
    afterChunk: async (size) => {
      sinceDrop += size;
      if (options.dropOutbox && sinceDrop >= 100_000) {
        sinceDrop = 0;
        await redis.unlink(keys.outbox);
      }
    },
  });
  if (options.dropOutbox) await redis.unlink(keys.outbox);
  const ms = performance.now() - started;
  return { ms, perSecond: (count / ms) * 1000 };
}

/** Waits until an outbox stream is empty (the relay caught up); drainMs is null on timeout. */
export async function waitForEmptyOutbox(
  redis: Redis,
  outboxKey: string,
  timeoutMs: number,
): Promise<{ lengthAtEnd: number; drainMs: number | null }> {
  const lengthAtEnd = await redis.xlen(outboxKey);
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await redis.xlen(outboxKey)) === 0) return { lengthAtEnd, drainMs: performance.now() - started };
    await sleep(20);
  }
  return { lengthAtEnd, drainMs: null };
}

/** The session-ticket key, as the service loads it (its SET NX GET wrapper): ids then carry the same signed ticket. */
export async function readOrCreateSessionTicketKey(redis: Redis, keys: RedisKeys): Promise<Buffer> {
  const input = { key: keys.sessionTicketKey, candidate: randomBytes(32) };
  const call = sessionTicketKeyCommand.build(input);
  return sessionTicketKeyCommand.parse(
    await redis.call(sessionTicketKeyCommand.command, ...call.keys, ...call.args),
    input,
  );
}
