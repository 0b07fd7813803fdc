import type { Writable } from 'node:stream';

/** A connection whose socket may be replaced (ioredis's `stream`, a new one after each reconnection). */
interface SocketHolder {
  readonly stream?: Writable;
}

/**
 * Holds a connection's writes until the end of the event loop's current phase, so that the
 * commands issued there leave in one system call and reach Redis in one read
 * (docs/decisions/0018-coalesced-redis-writes.md).
 *
 * Under load the loop reads many requests in one poll phase, and each join issues its script
 * from its own callback; written one by one, every command pays a write system call, and on
 * loopback the sender also pays the receiver's TCP work. ioredis's auto-pipelining flushes on
 * process.nextTick, which comes after every callback, so it groups nothing here. A corked
 * socket is released by setImmediate, which runs right after the poll phase (and never lets
 * the loop block in between): a command waits microseconds, never for another request.
 */
export class WriteCoalescer {
  /** The socket corked in this phase: the one released, even if the connection has a new one by then. */
  private held: Writable | null = null;
  private readonly release = (): void => {
    const socket = this.held;
    this.held = null;
    socket?.uncork();
  };

  constructor(private readonly connection: SocketHolder) {}

  /** Corks the connection's socket until the end of this phase, unless one is already held for it. */
  hold(): void {
    const socket = this.connection.stream;
    if (this.held !== null || socket === undefined) return;
    this.held = socket;
    socket.cork();
    setImmediate(this.release);
  }
}
