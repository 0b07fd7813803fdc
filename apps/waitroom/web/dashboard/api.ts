/** The admin API as the dashboard uses it: JSON only, the key as x-api-key, errors as words. */
import type { EventDetailsBody, HistoryBody } from '@waitroom/contracts/http';
import type { Role } from './role';

/** An answer other than 2xx, with the API's own words (`message`, `errors`) when it gave them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message);
  }
}

/** No answer at all (network down, service restarting). */
class NetworkError extends Error {}

/** GET /admin/events/:id: the stored config (the PUT body's fields plus these) and stats. */
export type EventDetails = EventDetailsBody;
export type History = HistoryBody;

/** GET /admin/events/:id/audit. */
export interface AuditBody {
  event_id: string;
  entries: {
    at: string | null;
    actor: string;
    action: string;
    changes: Record<string, { old: unknown; new: unknown }>;
  }[];
}

/** Fields of GET /admin/events/:id that are not part of the config a PUT takes. */
const NOT_CONFIG = new Set(['event_id', 'created_at', 'updated_at', 'stats', 'estimate_accuracy']);

/**
 * The PUT body that keeps an event's config as it is: PUT is a full replacement (a field left out
 * returns to its default), so every config field the API showed goes back, whatever it is.
 */
export function configOf(details: EventDetails): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(details)) if (!NOT_CONFIG.has(field)) config[field] = value;
  return config;
}

export class AdminApi {
  constructor(
    private readonly base: string,
    private readonly key: () => string | null,
    /** Called on a 401: the key is wrong or was rotated. */
    private readonly onUnauthorized: (error: ApiError) => void,
    /** Called with the key's role (`x-admin-role`) on every answer that names one. */
    private readonly onRole: (role: Role) => void = () => undefined,
  ) {}

  listEvents(): Promise<{ events: EventDetails[] }> {
    return this.request('GET', '/admin/events');
  }

  event(eventId: string): Promise<EventDetails> {
    return this.request('GET', `/admin/events/${encodeURIComponent(eventId)}`);
  }

  history(eventId: string, since: number | null): Promise<History> {
    const query = since === null ? '' : `?since=${since}`;
    return this.request('GET', `/admin/events/${encodeURIComponent(eventId)}/history${query}`);
  }

  /** PUT: 201 created, 200 updated; the body is the stored config. */
  putEvent(eventId: string, config: Record<string, unknown>): Promise<EventDetails> {
    return this.request('PUT', `/admin/events/${encodeURIComponent(eventId)}`, config);
  }

  /** POST sold-out: the event closed, its queued sessions ended; `message` replaces the event's. */
  soldOut(
    eventId: string,
    message: string | null,
  ): Promise<{ event_id: string; state: 'closed'; ended_sessions: number }> {
    return this.request(
      'POST',
      `/admin/events/${encodeURIComponent(eventId)}/sold-out`,
      message === null ? {} : { message },
    );
  }

  /** GET audit: the newest `limit` changes of the event. */
  audit(eventId: string, limit: number): Promise<AuditBody> {
    return this.request('GET', `/admin/events/${encodeURIComponent(eventId)}/audit?limit=${limit}`);
  }

  /** With an explicit key, to try one before keeping it. */
  async request<T>(method: string, path: string, body?: unknown, key = this.key()): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key) headers['x-api-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      throw new NetworkError('The service did not answer. Check the connection; the page keeps trying.');
    }
    const role = response.headers.get('x-admin-role');
    if (role === 'operator' || role === 'viewer') this.onRole(role);
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: described below by its status
    }
    if (response.ok) return parsed as T;
    const error = toApiError(response.status, parsed);
    if (response.status === 401) this.onUnauthorized(error);
    throw error;
  }
}

function toApiError(status: number, body: unknown): ApiError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message =
    typeof fields.message === 'string' && fields.message ? fields.message : `The service answered ${status}.`;
  const errors = Array.isArray(fields.errors) ? fields.errors.filter((e) => typeof e === 'string') : [];
  return new ApiError(
    status,
    typeof fields.code === 'string' ? fields.code : String(status),
    message,
    errors,
  );
}
