import type { ErrorBody, EventNoticeBody, SessionBody } from '@waitroom/contracts/http';

/** GET /events/:id/notice: the event's state and message, for a page that follows no session. */
export type EventNotice = EventNoticeBody;

/** The session body of GET /sessions/:id, the stream's events and POST /join. */
export type SessionView = SessionBody;

/** The API's error body. */
export type ApiError = ErrorBody;

export function isSessionView(value: unknown): value is SessionView {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { session_id?: unknown }).session_id === 'string' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}
