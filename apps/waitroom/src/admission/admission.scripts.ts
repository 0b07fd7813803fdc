import type { EventKeys } from '../redis/redis-keys';
import { defineScript, replyArray, replyNumber, UnexpectedScriptReply } from '../redis/script-definition';

export interface AdmissionStepResult {
  /** false when the event was paused, closed or not yet open: nobody was admitted. */
  moving: boolean;
  expired: number;
  abandoned: number;
  admitted: number;
  queueLength: number;
  activeCount: number;
  outboxLength: number;
  /**
   * In how many ms the event next needs a step if nothing else happens (a checkout window ends,
   * an idle timeout runs out, the event opens, the rate's next token); null: nothing time-based.
   */
  wakeInMs: number | null;
}

/** The event has no configuration (removed): only its outbox may still hold messages. */
export interface NoEventResult {
  noEvent: true;
  outboxLength: number;
}

interface AdmissionStepInput {
  keys: EventKeys;
  batchMax: number;
  retentionSeconds: number;
  /** Prefix of the step's message ids (unique per call; the script numbers them). */
  messageIdPrefix: string;
}

/** admission-tick-9.lua: one atomic admission step for one event. */
export const admissionStepScript = defineScript({
  file: 'admission-tick',
  replicated: true,
  build: ({ keys, ...input }: AdmissionStepInput) => ({
    keys: [
      keys.config,
      keys.queue,
      keys.active,
      keys.heartbeats,
      keys.stats,
      keys.pace,
      keys.outbox,
      keys.flow,
      keys.endedCheckouts,
    ],
    args: [
      keys.sessionPrefix,
      keys.userPrefix,
      input.batchMax,
      input.retentionSeconds,
      input.messageIdPrefix,
    ],
  }),
  parse: (reply): AdmissionStepResult | NoEventResult => {
    const [code, ...rest] = replyArray('admission-tick', reply);
    const numbers = rest.map((value) => replyNumber('admission-tick', value));
    if (code === 'NO_EVENT' && numbers.length === 1) return { noEvent: true, outboxLength: numbers[0] };
    if ((code === 'OK' || code === 'HELD') && numbers.length === 7) {
      const [expired, abandoned, admitted, queueLength, activeCount, outboxLength, wakeIn] = numbers;
      return {
        moving: code === 'OK',
        expired,
        abandoned,
        admitted,
        queueLength,
        activeCount,
        outboxLength,
        wakeInMs: wakeIn < 0 ? null : wakeIn,
      };
    }
    throw new UnexpectedScriptReply('admission-tick', reply);
  },
});
