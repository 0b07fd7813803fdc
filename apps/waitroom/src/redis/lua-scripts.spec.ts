import { loadLuaScripts } from './lua-scripts';

describe('loadLuaScripts settings', () => {
  it('writes a setting as a local of its default, or of the value given, with its own SHA', () => {
    const byDefault = loadLuaScripts().get('join')!;
    const fields = loadLuaScripts(undefined, { OUTBOX_ENTRY_FORMAT: 'fields' }).get('join')!;
    expect(byDefault.source).toContain("local OUTBOX_ENTRY_FORMAT = 'packed'");
    expect(fields.source).toContain("local OUTBOX_ENTRY_FORMAT = 'fields'");
    expect(fields.source).not.toContain('@setting');
    expect(fields.sha).not.toBe(byDefault.sha);
  });

  it('refuses a value that is not lower-case letters (it is written into the Lua source)', () => {
    expect(() =>
      loadLuaScripts(undefined, { OUTBOX_ENTRY_FORMAT: "x' .. redis.call('FLUSHALL') .. '" }),
    ).toThrow(/must be lower-case letters/);
  });
});
