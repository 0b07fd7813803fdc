import { prototypeField } from './json-body';

describe('prototypeField', () => {
  const sut = prototypeField;

  it.each([
    ['{"__proto__": {"admin": true}}', '__proto__'],
    ['{"capacity": 1, "__proto__": 1}', '__proto__'],
    ['{"constructor": {"prototype": {"admin": true}}}', 'constructor'],
    ['{"a": [{"__proto__": 1}]}', 'a.0.__proto__'],
  ])('names the refused field of %s', (text, field) => {
    expect(sut(text)).toBe(field);
  });

  it.each([
    ['not JSON', '{"capacity": '],
    ['a constructor without a prototype', '{"constructor": 1}'],
    ['ordinary fields', '{"capacity": 1, "state": "open"}'],
  ])('finds nothing in %s', (_name, text) => {
    expect(sut(text)).toBeUndefined();
  });

  it('walks deep nesting without overflowing the stack', () => {
    const deep = `${'['.repeat(8000)}{"__proto__": 1}${']'.repeat(8000)}`;
    expect(sut(deep)).toMatch(/__proto__$/);
  });
});
