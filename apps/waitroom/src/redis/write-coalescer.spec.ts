import { PassThrough, type Writable } from 'node:stream';
import { setImmediate as nextPhase } from 'node:timers/promises';
import { WriteCoalescer } from './write-coalescer';

/** A socket stand-in that records each write that reaches it (a corked stream hands them over together). */
function recordingSocket() {
  const socket = new PassThrough();
  const flushes: string[][] = [];
  socket._writev = (chunks, callback) => {
    flushes.push(chunks.map(({ chunk }) => String(chunk)));
    callback();
  };
  socket._write = (chunk, _encoding, callback) => {
    flushes.push([String(chunk)]);
    callback();
  };
  return { socket, flushes };
}

describe('WriteCoalescer', () => {
  it('hands the writes of one phase to the socket together, when the phase ends', async () => {
    const { socket, flushes } = recordingSocket();
    const writes = new WriteCoalescer({ stream: socket });
    for (const command of ['a', 'b', 'c']) {
      writes.hold();
      socket.write(command);
    }
    expect(flushes).toEqual([]);
    expect(socket.writableCorked).toBe(1);
    await nextPhase();
    expect(flushes).toEqual([['a', 'b', 'c']]);
    expect(socket.writableCorked).toBe(0);
  });

  it('holds again in the next phase, and leaves a socket it did not hold alone', async () => {
    const first = recordingSocket();
    const second = recordingSocket();
    const connection: { stream?: Writable } = { stream: first.socket };
    const writes = new WriteCoalescer(connection);
    writes.hold();
    first.socket.write('a');
    // A reconnection within the phase: the new socket is not corked by the held one.
    connection.stream = second.socket;
    writes.hold();
    second.socket.write('x');
    expect(second.flushes).toEqual([['x']]);
    await nextPhase();
    writes.hold();
    second.socket.write('y');
    second.socket.write('z');
    await nextPhase();
    expect(first.flushes).toEqual([['a']]);
    expect(second.flushes).toEqual([['x'], ['y', 'z']]);
    expect(first.socket.writableCorked + second.socket.writableCorked).toBe(0);
  });

  it('does nothing without a socket (a connection not made yet)', async () => {
    const connection: { stream?: Writable } = {};
    const writes = new WriteCoalescer(connection);
    expect(() => writes.hold()).not.toThrow();
    const { socket, flushes } = recordingSocket();
    connection.stream = socket;
    writes.hold();
    socket.write('a');
    await nextPhase();
    expect(flushes).toEqual([['a']]);
  });
});
