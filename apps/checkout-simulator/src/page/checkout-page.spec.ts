import { pageStatus, renderCheckoutPage } from './checkout-page';

describe('renderCheckoutPage', () => {
  const sut = renderCheckoutPage;

  it('shows the verified claims, escaped, in an accessible page', () => {
    const html = sut({
      kind: 'verified',
      claims: {
        sessionId: 'ev~abc',
        eventId: 'ev',
        userId: '<script>alert(1)</script>',
        issuer: 'waitroom',
        issuedAt: new Date('2026-01-01T10:00:00Z'),
        expiresAt: new Date('2026-01-01T10:10:00Z'),
      },
      status: 'pending',
    });
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<title>Checkout/);
    expect(html).toContain('<h1>Checkout</h1>');
    expect(html).toContain('<dt>Session</dt><dd>ev~abc</dd>');
    expect(html).toContain('<dt>Checkout window ends</dt><dd>2026-01-01T10:10:00.000Z</dd>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('says why a token was refused, with a 4xx', () => {
    const view = { kind: 'invalid', reason: 'bad_signature' } as const;
    expect(sut(view)).toContain('<h1>Invalid token</h1>');
    expect(sut(view)).toContain('not signed by the waiting room');
    expect(pageStatus(view)).toBe(403);
    expect(pageStatus({ kind: 'missing' })).toBe(400);
    expect(pageStatus({ kind: 'invalid', reason: 'jwks_unavailable' })).toBe(503);
  });
});
