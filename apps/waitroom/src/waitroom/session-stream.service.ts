import { Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { DomainError } from '../common/domain-errors';
import { isTerminal } from './session';
import type { SessionView } from './views';
import { WaitroomService } from './waitroom.service';

const POLL_MS = 1000;
const KEEP_ALIVE_MS = 15000;

/**
 * Server-sent events for one session: the GET body whenever status or position changes, a
 * keep-alive comment otherwise, and the end of the stream after a terminal status. Each read
 * is the same Redis script as GET, so an open stream is also the session's heartbeat.
 */
@Injectable()
export class SessionStreamService {
  private readonly open = new Set<() => void>();

  constructor(private readonly waitroom: WaitroomService) {}

  /** Ends every open stream (graceful shutdown: the HTTP server waits for open responses). */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }

  watch(sessionId: string, pollMs = POLL_MS): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let last = '';
      let lastSentAt = Date.now();
      let timer: NodeJS.Timeout | undefined;
      let closed = false;

      const poll = async () => {
        try {
          const view: SessionView = await this.waitroom.getSession(sessionId);
          const fingerprint = `${view.status}|${view.position}`;
          if (fingerprint !== last) {
            last = fingerprint;
            lastSentAt = Date.now();
            subscriber.next({ type: 'session', data: view });
          } else if (Date.now() - lastSentAt >= KEEP_ALIVE_MS) {
            lastSentAt = Date.now();
            subscriber.next({ type: 'keep-alive', data: { at: new Date().toISOString() } });
          }
          if (isTerminal(view.status)) return subscriber.complete();
        } catch (error) {
          if (error instanceof DomainError && error.code === 'SESSION_NOT_FOUND') {
            subscriber.next({ type: 'error', data: { code: error.code, message: error.message } });
            return subscriber.complete();
          }
          // Store briefly unavailable: keep the stream and try again on the next beat.
        }
        if (!closed) timer = setTimeout(() => void poll(), pollMs);
      };
      const close = () => {
        closed = true;
        if (timer) clearTimeout(timer);
        this.open.delete(close);
        subscriber.complete();
      };
      this.open.add(close);
      void poll();
      return close;
    });
  }
}
