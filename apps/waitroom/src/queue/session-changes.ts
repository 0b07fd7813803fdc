import { Injectable } from '@nestjs/common';
import type { SessionRef } from './session-id';

/**
 * Changes to a session made through this instance (a leave), for whoever answers reads of it
 * from a snapshot (live/session-polls.service.ts): the queue announces them, it does not know
 * who listens.
 */
@Injectable()
export class SessionChanges {
  private readonly listeners: ((ref: SessionRef) => void)[] = [];

  subscribe(listener: (ref: SessionRef) => void): void {
    this.listeners.push(listener);
  }

  changed(ref: SessionRef): void {
    for (const listener of this.listeners) listener(ref);
  }
}
