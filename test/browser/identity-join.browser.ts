import { generateIdentityKeyPair, mintIdentityToken, type IdentityKeyPair } from '@waitroom/gate';
import { startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations } from '../support/browser';

/**
 * Issue 24: the waiting page of an identity-bound event (join_identity_jwk) takes the site's
 * identity_token with user_id and joins with it; without one the join is refused and the page says
 * why. The event also has passthrough_when_free: with nobody queued the person is admitted at once.
 */
describe('identity-bound, always-on waiting page (browser)', () => {
  const suite = BrowserSuite.forTests(() => startApp());
  let site: IdentityKeyPair;

  beforeAll(async () => {
    site = await generateIdentityKeyPair('Ed25519');
  });

  it('joins with the identity token the site passed, and is admitted at once while nobody waits', async () => {
    const eventId = await suite.running.http.createEvent('id-page', {
      capacity: 5,
      checkout_url: 'https://shop.example.com/checkout',
      passthrough_when_free: true,
      join_identity_jwk: site.publicJwk,
    });
    const token = await mintIdentityToken({ privateJwk: site.privateJwk, userId: 'ann', eventId });
    const { page } = await suite.open(`/waitroom/${eventId}?user_id=ann&identity_token=${token}`);
    await page.getByRole('button', { name: /Join/ }).click();
    const link = page.getByRole('link', { name: /checkout/i });
    await link.waitFor({ timeout: 15_000 });
    const href = new URL((await link.getAttribute('href'))!);
    expect(`${href.origin}${href.pathname}`).toBe('https://shop.example.com/checkout');
    const admission = href.searchParams.get('waitroom_token')!;
    const claims = JSON.parse(Buffer.from(admission.split('.')[1], 'base64url').toString()) as {
      sub: string;
      user_id: string;
    };
    expect(claims.user_id).toBe('ann');
    expect((await suite.running.http.session(claims.sub)).body).toMatchObject({
      status: 'ready',
      user_id: 'ann',
    });
    await screenshot(page, 'identity-01-admitted-at-once');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('without an identity token the join is refused, and the page says so', async () => {
    const eventId = await suite.running.http.createEvent('id-page-none', {
      capacity: 5,
      join_identity_jwk: site.publicJwk,
    });
    const { page } = await suite.open(`/waitroom/${eventId}?user_id=bob`);
    await page.getByRole('button', { name: /Join/ }).click();
    // Shown in the page, and announced to screen readers.
    await page.getByRole('heading', { name: /went wrong/ }).waitFor({ timeout: 15_000 });
    expect(await page.locator('main').innerText()).toMatch(/identity_token/);
    expect(await page.locator('#announcer').textContent()).toMatch(/identity_token/);
    await screenshot(page, 'identity-02-refused');
    expect((await suite.running.http.stats(eventId)).body).toMatchObject({
      queue_length: 0,
      admitted_total: 0,
    });
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});
