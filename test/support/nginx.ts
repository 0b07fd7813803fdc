import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';

/** Debian's nginx package (installed by .ci/run, as Chromium is). */
export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const GATE_CONF = join(__dirname, '..', '..', 'deploy', 'nginx', 'waitroom-gate.conf');

export interface RunningNginx {
  /** `http://127.0.0.1:<port>`: the protected site as people reach it. */
  baseUrl: string;
  port: number;
  /** nginx's error log so far (for a failing test's message). */
  errorLog: () => string;
  stop: () => Promise<void>;
}

/**
 * deploy/nginx/waitroom-gate.conf with its placeholders filled, in a minimal nginx.conf of its
 * own (pid, logs and temp files in a fresh directory), run in the foreground as one process
 * (no master, no workers: nothing to switch users or leave behind) and stopped by its pid.
 */
export async function startNginx(options: {
  origin: string;
  waitroom: string;
  eventId: string;
}): Promise<RunningNginx> {
  if (!existsSync(NGINX_PATH))
    throw new Error(`no nginx at ${NGINX_PATH}: apt-get install -y nginx (or set NGINX_PATH)`);
  const dir = mkdtempSync(join(tmpdir(), 'waitroom-nginx-'));
  const port = await freePort();
  const site = readFileSync(GATE_CONF, 'utf8')
    .replaceAll('__LISTEN__', `127.0.0.1:${port}`)
    .replaceAll('__ORIGIN__', options.origin)
    .replaceAll('__WAITROOM__', options.waitroom)
    .replaceAll('__EVENT_ID__', options.eventId);
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  const output: string[] = [];
  const child: ChildProcess = spawn(NGINX_PATH, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const errorLog = () => {
    try {
      return output.join('') + readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return output.join('');
    }
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${errorLog()}`);
    try {
      await fetch(`${baseUrl}/.well-known/jwks.json`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not listen in 10 s:\n${errorLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    baseUrl,
    port,
    errorLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT'); // graceful shutdown
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
