import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };

/**
 * One MONITOR line's arguments: `+<time> [<db> <client>] "arg" "arg" …`. Redis writes printable
 * ASCII as is and every other byte escaped (`\xHH`), so each argument is unescaped to bytes and
 * read as UTF-8.
 */
function parseMonitorLine(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const bytes = match[1].replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, escaped: string) =>
      escaped.length === 3
        ? String.fromCharCode(parseInt(escaped.slice(1), 16))
        : (ESCAPES[escaped] ?? escaped),
    );
    args.push(Buffer.from(bytes, 'latin1').toString('utf8'));
  }
  return args;
}

export interface RedisMonitor {
  /** Every command Redis ran since MONITOR answered, Lua's included, as [name, ...args]. */
  readonly commands: string[][];
  /**
   * Makes sure every command Redis ran before this call has arrived (an ECHO of a fresh marker
   * sent through `client` comes back on the monitor), then closes the monitor.
   */
  stop(client: { echo(message: string): Promise<unknown> }): Promise<void>;
}

/**
 * Redis MONITOR on a socket of its own. ioredis's monitor() switches its connection to
 * monitoring mode in a promise callback after MONITOR's +OK, so feed lines that arrive in the
 * same read as the +OK reach its command queue instead ("Command queue state error"), which a
 * busy Redis makes likely. Here every line after the +OK is a command.
 */
export function monitorRedis(url: string): Promise<RedisMonitor> {
  const { hostname, port, password, username } = new URL(url);
  const socket = connect(Number(port || 6379), hostname);
  const commands: string[][] = [];
  let pending = '';
  // Replies to wait for before the feed: AUTH's +OK (when the URL has a password), then MONITOR's.
  let repliesBeforeFeed = password ? 2 : 1;
  let onCommand: (args: string[]) => void = () => undefined;
  return new Promise<RedisMonitor>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('connect', () => {
      const auth = password
        ? `AUTH ${username ? `${decodeURIComponent(username)} ` : ''}${decodeURIComponent(password)}\r\n`
        : '';
      socket.write(`${auth}MONITOR\r\n`);
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (line.startsWith('-')) return reject(new Error(`MONITOR refused: ${line}`));
        if (repliesBeforeFeed > 0) {
          if (--repliesBeforeFeed === 0) resolve(monitor);
          continue;
        }
        const args = parseMonitorLine(line);
        commands.push(args);
        onCommand(args);
      }
    });
    const monitor: RedisMonitor = {
      commands,
      async stop(client) {
        const marker = `monitor-end-${randomUUID()}`;
        const seen = new Promise<void>((done) => {
          onCommand = (args) => {
            if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) done();
          };
        });
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, fail) => {
          timer = setTimeout(
            () => fail(new Error('the monitor did not see its end marker within 5 s')),
            5000,
          );
        });
        try {
          await client.echo(marker);
          await Promise.race([seen, late]);
        } finally {
          clearTimeout(timer);
          socket.destroy();
        }
      },
    };
  });
}
