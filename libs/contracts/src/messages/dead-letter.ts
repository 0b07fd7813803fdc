/**
 * A dead-lettered message is the original record on `<TOPIC>.DLQ`: its value, key and headers
 * byte for byte (keys and headers are opaque bytes, never decoded or re-encoded), plus these
 * headers. When the broker refuses the full copy (too large), a truncated copy is sent instead:
 * the first bytes of the value and key, the original headers only if they are small, and the
 * `dlq_truncated_*` headers saying what was cut.
 */
export interface DeadLetterHeaders {
  /** Why the message was rejected, e.g. "invalid JSON" or "session_id is required". */
  error: string;
  /** Where it came from. */
  original_topic: string;
  original_partition: string;
  original_offset: string;
  /** Only on a truncated copy: why the full copy was not sent. */
  dlq_truncated?: string;
  /** Only on a truncated copy: the sizes, in bytes, of the original value and key. */
  original_value_bytes?: string;
  original_key_bytes?: string;
}

export const DLQ_TRUNCATED_HEADER = 'dlq_truncated';
