/** The session body of GET /sessions/:id, the stream's events and (without the last three) POST /join. */
export interface SessionView {
  session_id: string;
  user_id: string;
  event_id: string;
  priority: number;
  /** queued, ready, completed, failed, expired, left or abandoned. */
  status: string;
  position: number | null;
  queue_length: number;
  estimated_wait_seconds: number | null;
  joined_at: string | null;
  admitted_at?: string | null;
  expires_at?: string | null;
  admission_token?: string | null;
}

/** The API's error body. */
export interface ApiError {
  /** queued, ready, completed, failed, expired, left or abandoned. */
  status: string;
  code: string;
  message: string;
  errors?: string[];
}

export function isSessionView(value: unknown): value is SessionView {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { session_id?: unknown }).session_id === 'string' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}
