import { extname, join } from 'node:path';

/**
 * How to start a worker thread whose entry file `<name>.thread` sits in `directory` (the
 * caller's `__dirname`): the compiled JavaScript in a build; the TypeScript source when the
 * service runs from source (the integration tests, ts-node), loaded through ts-node with the
 * repository's tsconfig paths.
 */
export function workerThreadEntry(
  directory: string,
  name: string,
): { file: string; execArgv?: string[]; env?: NodeJS.ProcessEnv } {
  // This file is built alongside its callers: its own extension is theirs.
  const extension = extname(__filename);
  const file = join(directory, `${name}.thread${extension}`);
  if (extension !== '.ts') return { file };
  return {
    file,
    execArgv: ['--require', 'ts-node/register/transpile-only', '--require', 'tsconfig-paths/register'],
    env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '../../../../tsconfig.json') },
  };
}
