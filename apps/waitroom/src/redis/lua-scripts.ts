import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A Lua script ready to run: its source with includes inlined, its SHA-1 and how many KEYS it takes. */
export interface LuaScript {
  name: string;
  source: string;
  sha: string;
  numberOfKeys: number;
}

const INCLUDE = /^-- @include ([a-z-]+)\s*$/gm;

/**
 * Loads `scripts/<name>-<numberOfKeys>.lua`, inlining `-- @include <file>` lines from
 * `scripts/includes/` (the convention of BullMQ's commands folder), so shared Lua lives once.
 */
export function loadLuaScripts(directory = join(__dirname, 'scripts')): Map<string, LuaScript> {
  const includes = new Map<string, string>();
  for (const file of readdirSync(join(directory, 'includes'))) {
    if (file.endsWith('.lua'))
      includes.set(file.slice(0, -4), readFileSync(join(directory, 'includes', file), 'utf8'));
  }
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(directory)) {
    const match = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const raw = readFileSync(join(directory, file), 'utf8');
    const source = raw.replace(INCLUDE, (_line, name: string) => {
      const included = includes.get(name);
      if (included === undefined) throw new Error(`${file}: unknown include "${name}"`);
      return included;
    });
    const sha = createHash('sha1').update(source).digest('hex');
    // Two files of one name (a stale build output after a script's key count changed) would
    // run whichever was read last, with the wrong KEYS.
    if (scripts.has(match[1])) throw new Error(`${directory}: two scripts named ${match[1]}`);
    scripts.set(match[1], { name: match[1], source, sha, numberOfKeys: Number(match[2]) });
  }
  return scripts;
}
