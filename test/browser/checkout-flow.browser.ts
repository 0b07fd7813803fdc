import type { Browser } from 'playwright-core';
import { startApp, type RunningApp } from '../support/app-harness';
import { launchBrowser, screenshot, seriousA11yViolations, waitForText } from '../support/browser';
import { startSimulator, type RunningSimulator } from '../support/simulator-harness';

/**
 * The whole loop a person sees, in headless Chromium: the waiting page of an event whose
 * checkout_url is the checkout simulator's page, admission, the "checkout" link, and the
 * simulator's page showing the token it verified against the waitroom's JWKS.
 */
describe('from the waiting page to checkout (browser)', () => {
  let waitroom: RunningApp;
  let simulator: RunningSimulator;
  let browser: Browser;
  const eventId = `flow-${Date.now()}`;

  beforeAll(async () => {
    waitroom = await startApp();
    simulator = await startSimulator({
      // A long delay: this test looks at the page, not at the simulated outcome.
      env: { WAITROOM_URL: waitroom.baseUrl, SIMULATED_EVENTS: eventId, CHECKOUT_DELAY_MS: '60000' },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await simulator?.close();
    await waitroom?.close();
  });

  it('is admitted, follows the checkout link, and the checkout page shows the verified token', async () => {
    const created = await waitroom.http.upsertEvent(eventId, {
      capacity: 1,
      admission_rate_per_minute: 6000,
      checkout_url: `${simulator.baseUrl}/checkout`,
    });
    expect(created.status).toBe(201);
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${waitroom.baseUrl}/waitroom/${eventId}?user_id=flow-person`);
    await page.getByRole('button', { name: /Join/ }).click();

    const link = page.getByRole('link', { name: /checkout/i });
    await link.waitFor({ timeout: 20000 });
    await screenshot(page, 'flow-01-admitted');
    const href = (await link.getAttribute('href'))!;
    const token = new URL(href).searchParams.get('waitroom_token');
    expect(token).toBeTruthy();

    await link.click();
    await page.waitForURL((url) => url.pathname === '/checkout');
    await waitForText(page, 'h1', (text) => text === 'Checkout');
    const body = await page.locator('body').innerText();
    // The token's subject is the person's session: the one the waitroom holds as ready.
    const [, payload] = token!.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string };
    expect((await waitroom.http.session(claims.sub)).body).toMatchObject({
      status: 'ready',
      user_id: 'flow-person',
    });
    expect(body).toContain(claims.sub);
    expect(body).toContain('flow-person');
    expect(body).toContain(eventId);
    await screenshot(page, 'flow-02-checkout-page');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await context.close();
  });
});
