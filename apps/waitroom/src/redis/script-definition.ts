/** The KEYS and ARGV of one script call, in the order the script's header documents. */
interface ScriptCall {
  keys: string[];
  args: (string | number)[];
}

/**
 * One Lua script's typed wrapper (the habit of BullMQ's `classes/scripts.ts`): which file it
 * runs, how a call's KEYS and ARGV are built from a typed input, and how its reply is read.
 * Each feature defines the wrappers of its own scripts in its `*.scripts.ts`; the bench's
 * baselines build their calls with the same `build`, so nothing builds KEYS/ARGV by hand or
 * casts a reply anywhere else. `build` is pure: random ids (member ids, message ids) are part of
 * the input.
 */
export interface ScriptDefinition<Input, Reply> {
  readonly kind: 'script';
  /** `redis/scripts/<file>-<number of keys>.lua` */
  readonly file: string;
  /**
   * A state change someone is told about (an answer, a Kafka offset): with REDIS_WAIT_REPLICAS it
   * returns only once replicas hold it (redis-door.ts).
   */
  readonly replicated?: boolean;
  build(input: Input): ScriptCall;
  parse(reply: unknown, input: Input): Reply;
}

/**
 * A single Redis command's typed wrapper, for what one command does without a script (a read of
 * one key, a set member): the same shape as a script's, so every call still goes through a
 * wrapper of its module's `*.scripts.ts`.
 */
export interface CommandDefinition<Input, Reply> {
  readonly kind: 'command';
  /** The command's name, e.g. `XRANGE`; its KEYS come first in the call, then its ARGV. */
  readonly command: string;
  build(input: Input): ScriptCall;
  parse(reply: unknown, input: Input): Reply;
}

export type RedisCall<Input, Reply> = ScriptDefinition<Input, Reply> | CommandDefinition<Input, Reply>;

export function defineScript<Input, Reply>(
  definition: Omit<ScriptDefinition<Input, Reply>, 'kind'>,
): ScriptDefinition<Input, Reply> {
  return { kind: 'script', ...definition };
}

export function defineCommand<Input, Reply>(
  definition: Omit<CommandDefinition<Input, Reply>, 'kind'>,
): CommandDefinition<Input, Reply> {
  return { kind: 'command', ...definition };
}

/** A script's reply that is not the documented shape: a bug (script and parser out of step). */
export class UnexpectedScriptReply extends Error {
  constructor(file: string, reply: unknown) {
    super(`${file}: unexpected reply ${JSON.stringify(reply)?.slice(0, 200)}`);
  }
}

/** Reads a reply as an array whose first element is a status word. */
export function replyArray(file: string, reply: unknown): [string, ...unknown[]] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw new UnexpectedScriptReply(file, reply);
  return reply as [string, ...unknown[]];
}

/** An integer element of a reply (Redis returns integers as numbers, Lua numbers as integers). */
export function replyNumber(file: string, value: unknown): number {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  if (!Number.isFinite(number)) throw new UnexpectedScriptReply(file, value);
  return number;
}

/** A flat [field, value, field, value, ...] list as a record. */
export function pairsToRecord(pairs: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(pairs)) return record;
  for (let i = 0; i + 1 < pairs.length; i += 2) record[String(pairs[i])] = String(pairs[i + 1]);
  return record;
}
