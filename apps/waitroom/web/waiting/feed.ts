import { isSessionView, type SessionView } from './types';

const POLL_MIN_MS = 4000;
const POLL_JITTER_MS = 2000;
const STREAM_RETRY_FIRST_MS = 15000;
const STREAM_RETRY_MAX_MS = 120000;

interface FeedHandlers {
  /** A session body (from the stream or a poll). */
  update: (session: SessionView) => void;
  /** The session is unknown to the service (404). */
  gone: () => void;
  /** true while the stream is open, false while polling. */
  live: (isLive: boolean) => void;
}

/**
 * Follows one session: the server-sent stream (each event is the GET body) while it holds; when it
 * breaks, polling GET every 4-6 s (jitter, so a crowd whose streams broke together does not poll in
 * step) and a new stream attempt after 15 s, backing off to 2 min.
 */
export class SessionFeed {
  private source: EventSource | null = null;
  private pollTimer: number | undefined;
  private streamTimer: number | undefined;
  private streamRetryMs = STREAM_RETRY_FIRST_MS;
  private stopped = false;

  constructor(
    private readonly sessionUrl: string,
    private readonly handlers: FeedHandlers,
  ) {}

  start(): void {
    this.openStream();
  }

  stop(): void {
    this.stopped = true;
    this.closeStream();
    window.clearTimeout(this.pollTimer);
    window.clearTimeout(this.streamTimer);
  }

  private openStream(): void {
    if (this.stopped) return;
    if (typeof EventSource === 'undefined') return this.fallBack();
    const source = new EventSource(`${this.sessionUrl}/stream`);
    this.source = source;
    const onBody = (event: MessageEvent<string>) => this.receive(event.data);
    // The service names its events "session"; unnamed ones are accepted too.
    source.addEventListener('session', onBody);
    source.addEventListener('message', onBody);
    source.addEventListener('open', () => {
      this.streamRetryMs = STREAM_RETRY_FIRST_MS;
      window.clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
      this.handlers.live(true);
    });
    source.addEventListener('error', (event) => {
      // An "error" event with data is the service's own ({code}); without, the connection broke.
      if (
        event instanceof MessageEvent &&
        typeof event.data === 'string' &&
        event.data.includes('SESSION_NOT_FOUND')
      ) {
        this.stop();
        return this.handlers.gone();
      }
      if (this.stopped || this.source !== source) return;
      this.fallBack();
    });
  }

  private closeStream(): void {
    this.source?.close();
    this.source = null;
  }

  /** Stream broken: poll until a new stream attempt (later, with backoff) succeeds. */
  private fallBack(): void {
    this.closeStream();
    this.handlers.live(false);
    if (this.pollTimer === undefined) this.schedulePoll(0);
    window.clearTimeout(this.streamTimer);
    this.streamTimer = window.setTimeout(() => this.openStream(), this.streamRetryMs);
    this.streamRetryMs = Math.min(this.streamRetryMs * 2, STREAM_RETRY_MAX_MS);
  }

  private schedulePoll(delayMs = POLL_MIN_MS + Math.random() * POLL_JITTER_MS): void {
    this.pollTimer = window.setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.source?.readyState === EventSource.OPEN) {
      this.pollTimer = undefined;
      return;
    }
    try {
      const response = await fetch(this.sessionUrl, { cache: 'no-store' });
      if (this.stopped) return;
      if (response.status === 404) {
        this.stop();
        return this.handlers.gone();
      }
      if (response.ok) this.receive(await response.text());
    } catch {
      // offline or store unavailable: try again on the next beat
    }
    if (!this.stopped) this.schedulePoll();
  }

  private receive(data: string): void {
    if (this.stopped) return;
    let body: unknown;
    try {
      body = JSON.parse(data);
    } catch {
      return;
    }
    if (isSessionView(body)) this.handlers.update(body);
  }
}
