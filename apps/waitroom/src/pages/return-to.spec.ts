import { allowedReturnTo } from './return-to';

describe('allowedReturnTo', () => {
  const checkout = 'https://shop.example.com/checkout?step=1';
  const origins = ['https://tickets.example.org', 'http://localhost:8088'];
  const sut = (value: unknown) => allowedReturnTo(value, checkout, origins);

  it("takes a URL of checkout_url's origin or of a gate origin, as the parser writes it", () => {
    expect(sut('https://shop.example.com/cart?x=1#top')).toBe('https://shop.example.com/cart?x=1#top');
    expect(sut('https://SHOP.example.com:443/a/../b')).toBe('https://shop.example.com/b');
    expect(sut('https://tickets.example.org/')).toBe('https://tickets.example.org/');
    expect(sut('http://localhost:8088/protected')).toBe('http://localhost:8088/protected');
    expect(allowedReturnTo('https://tickets.example.org/', null, origins)).toBe(
      'https://tickets.example.org/',
    );
  });

  it.each([
    ['javascript:', 'javascript:alert(document.cookie)'],
    ['javascript: with the allowed host in it', 'javascript://shop.example.com/%0aalert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['scheme-relative', '//evil.example/'],
    ['relative', '/cart'],
    ['another host', 'https://evil.example/'],
    ['another port', 'https://shop.example.com:8443/'],
    ['another scheme', 'http://shop.example.com/'],
    ['a suffix host', 'https://shop.example.com.evil.example/'],
    ['user-info before the host', 'https://shop.example.com@evil.example/'],
    ['user-info of the allowed host', 'https://user:pw@shop.example.com/'],
    ['a backslash', 'https://evil.example\\@shop.example.com/'],
    ['a backslash path trick', 'https:\\\\evil.example'],
    ['CR/LF', 'https://shop.example.com/\r\nLocation: https://evil.example/'],
    ['encoded CR/LF decoded once', decodeURIComponent('https://shop.example.com/%0d%0aSet-Cookie:x=1')],
    ['a space', 'https://shop.example.com /'],
    ['a tab in the scheme', 'java\tscript:alert(1)'],
    ['a leading space', ' https://shop.example.com/'],
    ['10 KB', `https://shop.example.com/${'a'.repeat(10_000)}`],
    ['empty', ''],
    ['not a string', ['https://shop.example.com/']],
    ['a number', 42],
  ])('ignores %s', (_, value) => {
    expect(sut(value)).toBeNull();
  });

  it('keeps encoded CR/LF encoded (they stay inside the path, harmless)', () => {
    expect(sut('https://shop.example.com/%0d%0aX')).toBe('https://shop.example.com/%0d%0aX');
  });
});
