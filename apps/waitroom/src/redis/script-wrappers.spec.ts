import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadLuaScripts } from './lua-scripts';
import type { RedisCall } from './script-definition';

/** Every `*.scripts.ts` under the app's src: where each module keeps its scripts' wrappers. */
function wrapperFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return wrapperFiles(path);
    return entry.name.endsWith('.scripts.ts') ? [path] : [];
  });
}

function isRedisCall(value: unknown): value is RedisCall<unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    (value.kind === 'script' || value.kind === 'command') &&
    'build' in value
  );
}

describe('Lua scripts and their typed wrappers', () => {
  const sourceRoot = join(__dirname, '..');
  const wrappers = new Map<string, string>();
  const scripts = [...loadLuaScripts().keys()].sort();

  beforeAll(async () => {
    for (const file of wrapperFiles(sourceRoot)) {
      const module = (await import(file)) as Record<string, unknown>;
      for (const value of Object.values(module))
        if (isRedisCall(value) && value.kind === 'script')
          wrappers.set(value.file, relative(sourceRoot, file));
    }
  });

  it('finds the wrappers', () => {
    expect(wrappers.size).toBeGreaterThan(10);
  });

  it('gives every .lua file a wrapper in a *.scripts.ts', () => {
    expect(scripts.filter((name) => !wrappers.has(name))).toEqual([]);
  });

  it('names only scripts that exist', () => {
    const missing = [...wrappers].filter(([name]) => !scripts.includes(name));
    expect(missing).toEqual([]);
  });
});
