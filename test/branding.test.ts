import { startApp, type RunningApp } from './support/app-harness';

/**
 * Issue 25, item 3, from outside: the branding fields of PUT (display_name, brand_color,
 * logo_url), refused with a 400 when invalid; the waiting page's heading, logo with alt text,
 * and a CSP that allows exactly the logo's origin for images. The page itself is in
 * test/browser/operator-controls.browser.ts.
 */
describe('branding of the waiting page', () => {
  let svc: RunningApp;

  beforeAll(async () => {
    svc = await startApp();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('stores the branding and answers it in the config', async () => {
    const eventId = await svc.http.createEvent('brand', {
      capacity: 1,
      display_name: 'Stadium Tour <2026>',
      brand_color: '#FFEB3B',
      logo_url: 'https://cdn.example.test/tour/logo.png?v=2',
    });
    const config = (
      await svc.http.upsertEvent(eventId, {
        capacity: 1,
        display_name: 'Stadium Tour <2026>',
        brand_color: '#FFEB3B',
        logo_url: 'https://cdn.example.test/tour/logo.png?v=2',
      })
    ).body;
    expect(config).toMatchObject({
      display_name: 'Stadium Tour <2026>',
      brand_color: '#ffeb3b',
      logo_url: 'https://cdn.example.test/tour/logo.png?v=2',
    });
  });

  it('refuses invalid branding with a 400 naming the field', async () => {
    const eventId = await svc.http.createEvent('brand', { capacity: 1 });
    const cases: [string, unknown][] = [
      ['display_name', 'x'.repeat(101)],
      ['display_name', 'tab\u0001'],
      ['display_name', 5],
      ['brand_color', 'red'],
      ['brand_color', '#fff'],
      ['brand_color', '#12345g'],
      ['brand_color', '#1234567'],
      ['logo_url', 'http://cdn.example.test/logo.png'],
      ['logo_url', 'https://user:pass@cdn.example.test/logo.png'],
      ['logo_url', 'data:image/png;base64,AAAA'],
      ['logo_url', 'javascript:alert(1)'],
      ['logo_url', '/relative/logo.png'],
      ['logo_url', `https://cdn.example.test/${'a'.repeat(2048)}`],
    ];
    for (const [field, value] of cases) {
      const refused = await svc.http.upsertEvent(eventId, { capacity: 1, [field]: value });
      expect({ field, value, status: refused.status }).toEqual({ field, value, status: 400 });
      expect(refused.body.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(refused.body)).toContain(field);
    }
  });

  it('renders the heading and logo as text, and allows exactly the logo origin for images', async () => {
    const eventId = await svc.http.createEvent('brand', {
      capacity: 1,
      display_name: 'Tour <script>alert(1)</script> & "friends"',
      brand_color: '#0b1f3a',
      logo_url: 'https://cdn.example.test:8443/tour/logo.png',
    });
    const page = await svc.http.get(`/waitroom/${eventId}`);
    expect(page.status).toBe(200);
    const html = String(page.body);
    expect(html).toContain('<h1>Tour &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;</h1>');
    expect(html).toContain(
      '<img class="brand-logo" src="https://cdn.example.test:8443/tour/logo.png" alt="Tour &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;">',
    );
    expect(html).not.toContain('<script>alert(1)');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp.split('; ').find((directive) => directive.startsWith('img-src'))).toBe(
      "img-src 'self' data: https://cdn.example.test:8443",
    );
    // Nothing else was loosened.
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");

    // Without a logo: the usual policy; another event's page does not get this origin.
    const plain = await svc.http.createEvent('brand', { capacity: 1 });
    const plainPage = await svc.http.get(`/waitroom/${plain}`);
    expect(plainPage.headers.get('content-security-policy')).toContain("img-src 'self' data:;");
    expect(String(plainPage.body)).toContain('<h1>Waiting room</h1>');
    expect(String(plainPage.body)).not.toContain('brand-logo');
  });
});
