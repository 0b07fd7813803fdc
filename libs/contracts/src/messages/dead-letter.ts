/**
 * A dead-lettered message is the original record, byte for byte, on `<TOPIC>.DLQ`,
 * with its original key and headers plus these headers.
 */
export interface DeadLetterHeaders {
  /** Why the message was rejected, e.g. "invalid JSON" or "session_id should not be empty". */
  error: string;
  /** Where it came from. */
  original_topic: string;
  original_partition: string;
  original_offset: string;
}
