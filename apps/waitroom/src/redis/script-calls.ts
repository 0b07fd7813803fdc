import { randomUUID } from 'node:crypto';
import { newMemberId } from '../waitroom/session-id';
import type { EventKeys } from './redis-keys';

/** The KEYS and ARGV of one script call, in the order its header documents. */
export interface ScriptCall {
  keys: string[];
  args: (string | number)[];
}

/**
 * join-9.lua. Built in one place for the repository and the join benchmark's bare server, so the
 * baseline runs exactly the service's call.
 */
export function joinCall(
  keys: EventKeys,
  input: {
    userId: string;
    priority: number;
    clientAddress: string;
    outboxLimit: number;
    joinsPerMinute: number;
  },
): ScriptCall {
  return {
    keys: [
      keys.config,
      keys.queue,
      keys.sequence,
      keys.user(input.userId),
      keys.stats,
      keys.outbox,
      keys.heartbeats,
      keys.joinRateLimit(input.clientAddress),
      keys.pace,
    ],
    args: [
      newMemberId(),
      keys.sessionPrefix,
      input.userId,
      input.priority,
      randomUUID(),
      input.outboxLimit,
      input.joinsPerMinute,
    ],
  };
}

/** admission-tick-7.lua, for the scheduler and the admission benchmark. */
export function admissionStepCall(
  keys: EventKeys,
  input: { batchMax: number; retentionSeconds: number },
): ScriptCall {
  return {
    keys: [keys.config, keys.queue, keys.active, keys.heartbeats, keys.stats, keys.pace, keys.outbox],
    args: [keys.sessionPrefix, keys.userPrefix, input.batchMax, input.retentionSeconds, randomUUID()],
  };
}
