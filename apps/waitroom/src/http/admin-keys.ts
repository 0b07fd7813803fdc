import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key may do: an operator changes events, a viewer only reads the admin API. */
export type AdminRole = 'operator' | 'viewer';

/** Who called the admin API, by the name of their key (never the key itself). */
export interface AdminActor {
  name: string;
  role: AdminRole;
}

interface AdminKey extends AdminActor {
  /** SHA-256 of the key: compared in constant time, and the key itself is not kept. */
  digest: Buffer;
}

/** `ADMIN_API_KEY`'s name (CONTRACT.md). */
export const DEFAULT_ADMIN_NAME = 'admin';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const KEY_MIN_LENGTH = 16;
const KEY_MAX_LENGTH = 256;

/** A malformed key list: the message names the variable and the entry's position, never a key. */
export class AdminKeysError extends Error {}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `name:key,name:key` (a key may hold ':' but not ',') into named keys of one role. Reasons
 * name the variable and the entry's position, never a key.
 */
export function parseNamedKeys(variable: string, text: string | undefined, role: AdminRole): AdminKey[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((entry, index) => {
    const where = `${variable}: entry ${index + 1}`;
    const split = entry.indexOf(':');
    if (split < 0) throw new AdminKeysError(`${where} must be name:key`);
    const name = entry.slice(0, split).trim();
    const key = entry.slice(split + 1).trim();
    if (!NAME.test(name))
      throw new AdminKeysError(`${where}: the name must be 1-64 characters of A-Z a-z 0-9 _ . @ -`);
    if (key.length < KEY_MIN_LENGTH || key.length > KEY_MAX_LENGTH)
      throw new AdminKeysError(
        `${where} (${name}): the key must be ${KEY_MIN_LENGTH}-${KEY_MAX_LENGTH} characters`,
      );
    return { name, role, digest: digest(key) };
  });
}

/**
 * Every admin key the service accepts: ADMIN_API_KEY (named `admin`), ADMIN_API_KEYS (more
 * operators) and ADMIN_VIEWER_KEYS (read-only). Names and keys are unique across all three.
 * A caller's key is compared with every configured one in constant time (SHA-256 digests, so
 * lengths do not leak either, and every key is compared whatever matched first).
 */
export class AdminKeys {
  private readonly keys: AdminKey[];

  constructor(settings: { ADMIN_API_KEY?: string; ADMIN_API_KEYS?: string; ADMIN_VIEWER_KEYS?: string }) {
    const keys = [
      ...(settings.ADMIN_API_KEY
        ? [{ name: DEFAULT_ADMIN_NAME, role: 'operator' as const, digest: digest(settings.ADMIN_API_KEY) }]
        : []),
      ...parseNamedKeys('ADMIN_API_KEYS', settings.ADMIN_API_KEYS, 'operator'),
      ...parseNamedKeys('ADMIN_VIEWER_KEYS', settings.ADMIN_VIEWER_KEYS, 'viewer'),
    ];
    const names = new Set<string>();
    const digests = new Set<string>();
    for (const key of keys) {
      if (names.has(key.name))
        throw new AdminKeysError(
          `the key name "${key.name}" is used twice (ADMIN_API_KEY is named "${DEFAULT_ADMIN_NAME}")`,
        );
      const hex = key.digest.toString('hex');
      if (digests.has(hex)) throw new AdminKeysError(`the key of "${key.name}" is also given another name`);
      names.add(key.name);
      digests.add(hex);
    }
    this.keys = keys;
  }

  get size(): number {
    return this.keys.length;
  }

  /** The actor a presented key belongs to, or null (none given, or no match). */
  identify(given: unknown): AdminActor | null {
    if (typeof given !== 'string' || this.keys.length === 0) return null;
    const presented = digest(given);
    let found: AdminKey | null = null;
    // No early exit: the time does not depend on which key matched, or whether one did.
    for (const key of this.keys) if (timingSafeEqual(presented, key.digest) && !found) found = key;
    return found && { name: found.name, role: found.role };
  }
}
