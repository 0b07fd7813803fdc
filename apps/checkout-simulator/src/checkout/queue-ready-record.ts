import { QueueReadyMessage, validateMessage } from '@waitroom/contracts';

type QueueReadyReading =
  | { kind: 'ready'; message: QueueReadyMessage }
  | { kind: 'not_simulated'; eventId: string }
  | { kind: 'malformed'; error: string };

/**
 * Reads a QUEUE_READY record's value. Never throws, whatever the bytes. Records of events the
 * simulator does not act on cost one JSON.parse (the topic carries every event's admissions);
 * only the simulated ones are checked field by field against the contract class.
 */
export function readQueueReady(
  value: Buffer | null,
  simulatedEvents: ReadonlySet<string>,
): QueueReadyReading {
  if (value === null) return { kind: 'malformed', error: 'empty record (no value)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return {
      kind: 'malformed',
      error: `invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'malformed', error: 'message must be a JSON object' };
  }
  const eventId = Object.hasOwn(parsed, 'event_id')
    ? (parsed as Record<string, unknown>).event_id
    : undefined;
  if (typeof eventId !== 'string') return { kind: 'malformed', error: 'event_id must be a string' };
  if (!simulatedEvents.has(eventId)) return { kind: 'not_simulated', eventId };
  try {
    const result = validateMessage(QueueReadyMessage, parsed);
    if (!result.ok) return { kind: 'malformed', error: result.errors.join('; ') };
    return { kind: 'ready', message: result.value };
  } catch (error) {
    return {
      kind: 'malformed',
      error: `unreadable: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
