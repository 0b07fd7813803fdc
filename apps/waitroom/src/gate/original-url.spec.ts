import { originalUrlOf } from './original-url';

describe('originalUrlOf', () => {
  it('takes X-Original-URL, or the forwarded parts', () => {
    expect(originalUrlOf({ 'x-original-url': 'https://shop.example.com/a?b=1' })?.href).toBe(
      'https://shop.example.com/a?b=1',
    );
    expect(
      originalUrlOf({
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'shop.example.com:8443, inner',
        'x-forwarded-uri': '/cart',
      })?.href,
    ).toBe('https://shop.example.com:8443/cart');
    expect(
      originalUrlOf({ 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost', 'x-original-uri': '/' })
        ?.href,
    ).toBe('http://localhost/');
  });

  it.each([
    ['nothing', {}],
    ['javascript:', { 'x-original-url': 'javascript:alert(1)' }],
    ['data:', { 'x-original-url': 'data:text/html,x' }],
    ['scheme-relative', { 'x-original-url': '//evil.example/' }],
    ['relative', { 'x-original-url': '/cart' }],
    ['user-info', { 'x-original-url': 'https://shop.example.com@evil.example/' }],
    ['CR/LF', { 'x-original-url': 'https://shop.example.com/\r\nSet-Cookie: a=1' }],
    ['a tab', { 'x-original-url': 'https://shop.example.com/\tx' }],
    ['10 KB', { 'x-original-url': `https://shop.example.com/${'a'.repeat(10_000)}` }],
    [
      'a host with a path',
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil/x', 'x-forwarded-uri': '/' },
    ],
    [
      'a host with user-info',
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'u@evil', 'x-forwarded-uri': '/' },
    ],
    [
      'a uri that is no path',
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop', 'x-forwarded-uri': '//evil/' },
    ],
    ['an ftp scheme', { 'x-forwarded-proto': 'ftp', 'x-forwarded-host': 'shop', 'x-forwarded-uri': '/' }],
  ])('ignores %s', (_, headers: Record<string, string>) => {
    expect(originalUrlOf(headers)).toBeNull();
  });
});
