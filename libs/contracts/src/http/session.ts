/** queued -> ready -> completed | failed | expired; queued -> left | abandoned; ready -> left | expired. */
export type SessionStatus = 'queued' | 'ready' | 'completed' | 'failed' | 'expired' | 'left' | 'abandoned';

/** Why a `left` or `abandoned` session ended. */
export type LeftReason = 'user' | 'abandoned' | 'removed' | 'sold_out';

/**
 * The body of GET /sessions/:id, of every event of its stream and of POST /join (the contract's
 * join fields are its first ones).
 */
export interface SessionBody {
  session_id: string;
  user_id: string;
  event_id: string;
  priority: number;
  status: SessionStatus;
  /** 1-based among the queued; null when not queued. */
  position: number | null;
  queue_length: number;
  estimated_wait_seconds: number | null;
  joined_at: string | null;
  admitted_at: string | null;
  /** The end of the checkout window, while ready. */
  expires_at: string | null;
  /** The signed token checkout verifies, while ready. */
  admission_token: string | null;
  /** Why a `left` or `abandoned` session ended; null for every other status. */
  left_reason: LeftReason | null;
  /** The operator's current message to the event's waiting people (plain text), or null. */
  event_message: string | null;
}
