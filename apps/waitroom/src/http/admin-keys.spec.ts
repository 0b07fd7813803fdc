import { validateEnvironment, InvalidConfigurationError } from '../config/environment';
import { AdminKeys, AdminKeysError } from './admin-keys';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob:key-with-a-colon-0123456789';
const VIEWER = 'viewer-key-0123456789abcdef';

describe('AdminKeys', () => {
  const sut = new AdminKeys({
    ADMIN_API_KEY: 'the-default-admin-key-0123456789',
    ADMIN_API_KEYS: `alice:${ALICE}, bob:${BOB}`,
    ADMIN_VIEWER_KEYS: `night-viewer:${VIEWER}`,
  });

  it('names ADMIN_API_KEY "admin" and the others by their names, with their role', () => {
    expect(sut.size).toBe(4);
    expect(sut.identify('the-default-admin-key-0123456789')).toEqual({ name: 'admin', role: 'operator' });
    expect(sut.identify(ALICE)).toEqual({ name: 'alice', role: 'operator' });
    // A key may hold ':' (the name ends at the first one).
    expect(sut.identify(BOB)).toEqual({ name: 'bob', role: 'operator' });
    expect(sut.identify(VIEWER)).toEqual({ name: 'night-viewer', role: 'viewer' });
  });

  it('knows nobody for a wrong, partial, absent or non-string key', () => {
    for (const given of ['', 'alice', ALICE.slice(0, -1), `${ALICE}x`, undefined, ['x'], 42])
      expect(sut.identify(given)).toBeNull();
    expect(new AdminKeys({}).identify(ALICE)).toBeNull();
  });

  it('refuses malformed lists in words that name the variable and never hold a key', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ADMIN_API_KEYS: 'no-colon-here-0123456789' }, /ADMIN_API_KEYS: entry 1 must be name:key/],
      [{ ADMIN_API_KEYS: `ok:${ALICE},bad name:${VIEWER}` }, /ADMIN_API_KEYS: entry 2: the name/],
      [{ ADMIN_VIEWER_KEYS: 'v:short' }, /ADMIN_VIEWER_KEYS: entry 1 \(v\): the key must be 16-256/],
      [{ ADMIN_API_KEYS: `a:${ALICE}`, ADMIN_VIEWER_KEYS: `a:${VIEWER}` }, /"a" is used twice/],
      [{ ADMIN_API_KEY: ALICE, ADMIN_API_KEYS: `admin:${VIEWER}` }, /"admin" is used twice/],
      [
        { ADMIN_API_KEYS: `a:${ALICE}`, ADMIN_VIEWER_KEYS: `b:${ALICE}` },
        /key of "b" is also given another name/,
      ],
    ];
    for (const [settings, reason] of cases) {
      let error: unknown;
      try {
        new AdminKeys(settings);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(AdminKeysError);
      expect((error as Error).message).toMatch(reason);
      for (const key of [ALICE, VIEWER, 'short']) expect((error as Error).message).not.toContain(key);
    }
  });

  it('makes a bad list stop start-up with one line naming the variable', () => {
    expect(() => validateEnvironment({ ADMIN_VIEWER_KEYS: 'viewer' })).toThrow(InvalidConfigurationError);
    expect(() => validateEnvironment({ ADMIN_VIEWER_KEYS: 'viewer' })).toThrow(
      /^Invalid configuration: ADMIN_VIEWER_KEYS: entry 1 must be name:key$/,
    );
    expect(validateEnvironment({ ADMIN_API_KEYS: `alice:${ALICE}` }).ADMIN_API_KEYS).toBe(`alice:${ALICE}`);
  });
});
