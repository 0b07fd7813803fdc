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
const SETTING = /^-- @setting ([A-Z_]+) ([a-z]+)\s*$/gm;

/** Values for the scripts' `-- @setting NAME default` lines; a setting not given keeps its default. */
export type LuaSettings = Partial<Record<string, string>>;

/**
 * Loads `scripts/<name>-<numberOfKeys>.lua`, inlining `-- @include <file>` lines from
 * `scripts/includes/` (the convention of BullMQ's commands folder), so shared Lua lives once.
 * A `-- @setting NAME default` line becomes `local NAME = '<value>'`, the value from `settings`
 * (lower-case words only) or the default: a deployment-wide choice that would otherwise be one
 * more argument on every call. Scripts of other settings have other SHAs, so instances with
 * different settings never run each other's.
 */
export function loadLuaScripts(
  directory = join(__dirname, 'scripts'),
  settings: LuaSettings = {},
): Map<string, LuaScript> {
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
    const source = raw
      .replace(INCLUDE, (_line, name: string) => {
        const included = includes.get(name);
        if (included === undefined) throw new Error(`${file}: unknown include "${name}"`);
        return included;
      })
      .replace(SETTING, (_line, name: string, fallback: string) => {
        const value = settings[name] ?? fallback;
        if (!/^[a-z]+$/.test(value))
          throw new Error(`${file}: setting ${name} must be lower-case letters, got "${value}"`);
        return `local ${name} = '${value}'`;
      });
    const sha = createHash('sha1').update(source).digest('hex');
    // Two files of one name (a stale build output after a script's key count changed) would
    // run whichever was read last, with the wrong KEYS.
    if (scripts.has(match[1])) throw new Error(`${directory}: two scripts named ${match[1]}`);
    scripts.set(match[1], { name: match[1], source, sha, numberOfKeys: Number(match[2]) });
  }
  return scripts;
}
