import {
  deadLetterTopic,
  DLQ_ERROR_HEADER,
  DLQ_TRUNCATED_HEADER,
  type ConsumedTopic,
} from '@waitroom/contracts';
import type { IHeaders } from 'kafkajs';
import type { OutgoingRecord } from '../outbox/kafka-publisher';

/** A consumed record exactly as the broker delivered it: value, key and headers are raw bytes. */
export interface IncomingRecord {
  topic: ConsumedTopic;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** The longest reason kept in the `error` header. */
const ERROR_HEADER_MAX_CHARS = 1000;
/**
 * A copy larger than this is truncated before it is sent: the broker's default message.max.bytes
 * is about 1 MB, and a message just under it plus our headers would be refused.
 */
export const DEAD_LETTER_MAX_BYTES = 900 * 1024;
/** What a truncated copy keeps of the value and of the key. */
const TRUNCATED_PART_BYTES = 64 * 1024;

function coordinates(record: IncomingRecord, reason: string): Record<string, string> {
  return {
    [DLQ_ERROR_HEADER]: reason.slice(0, ERROR_HEADER_MAX_CHARS),
    original_topic: record.topic,
    original_partition: String(record.partition),
    original_offset: record.offset,
  };
}

/** Bytes the headers take on the wire, roughly (names and values). */
function headerBytes(headers: IHeaders): number {
  let total = 0;
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value];
    for (const one of values)
      total += Buffer.byteLength(name) + (one === undefined ? 0 : Buffer.byteLength(one));
  }
  return total;
}

/** The full copy: original bytes and headers, plus the reason and where it came from. */
export function deadLetterCopy(record: IncomingRecord, reason: string): OutgoingRecord {
  return {
    topic: deadLetterTopic(record.topic),
    key: record.key,
    value: record.value,
    headers: { ...record.headers, ...coordinates(record, reason) },
  };
}

export function deadLetterCopyBytes(record: IncomingRecord, reason: string): number {
  const copy = deadLetterCopy(record, reason);
  return (record.value?.length ?? 0) + (record.key?.length ?? 0) + headerBytes(copy.headers ?? {});
}

/**
 * The copy sent when the full one is too large: the first bytes of the value and the key, the
 * original headers only if they are small, and headers that say what was cut and why.
 */
export function truncatedDeadLetterCopy(record: IncomingRecord, reason: string, why: string): OutgoingRecord {
  const keepHeaders = headerBytes(record.headers) <= TRUNCATED_PART_BYTES;
  return {
    topic: deadLetterTopic(record.topic),
    key: record.key && record.key.subarray(0, TRUNCATED_PART_BYTES),
    value: record.value && record.value.subarray(0, TRUNCATED_PART_BYTES),
    headers: {
      ...(keepHeaders ? record.headers : {}),
      ...coordinates(record, reason),
      [DLQ_TRUNCATED_HEADER]: `${why}; kept the first ${TRUNCATED_PART_BYTES} bytes of value and key${
        keepHeaders ? '' : ', dropped the original headers'
      }`,
      original_value_bytes: String(record.value?.length ?? 0),
      original_key_bytes: String(record.key?.length ?? 0),
    },
  };
}
