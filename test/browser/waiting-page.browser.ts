import type { BrowserContextOptions, Page } from 'playwright-core';
import { eventually, startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations, waitForText } from '../support/browser';

// What the page functions below touch in the browser (the test project has no DOM lib).
declare const document: { activeElement: { id: string } | null; documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };
declare const localStorage: { getItem(key: string): string | null };

/**
 * The waiting page as a person uses it, in headless Chromium against the real app (in-process, on
 * the stack's Redis, no Kafka consumer): join, watch the place move, reload, get to checkout; the
 * languages, a phone-sized screen, the 404 page, a closed event, leaving. A screenshot per step
 * lands in test-results/screenshots/.
 */
describe('waiting page (browser)', () => {
  const suite = BrowserSuite.forTests(() => startApp());

  async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
    const { page, response } = await suite.open(path, options);
    expect(response).not.toBeNull();
    return page;
  }

  const savedSessionId = (page: Page, eventId: string) =>
    page.evaluate(
      (key) => (JSON.parse(localStorage.getItem(key) ?? 'null') as { session_id: string } | null)?.session_id,
      `waitroom:session:${eventId}`,
    );

  const status = async (sessionId: string) => (await suite.running.http.session(sessionId)).body;

  it('joins, shows the place falling live, keeps it over a reload, and links to checkout with the token', async () => {
    const eventId = await suite.running.http.createEvent('page', {
      capacity: 1,
      admission_rate_per_minute: 6000,
      checkout_url: 'https://shop.example.com/checkout?step=pay&lang=en',
    });
    // Someone holds the only slot; two more wait ahead of our person.
    const first = (await suite.running.http.join('holder', eventId)).body.session_id as string;
    await eventually(
      () => status(first),
      (s) => s.status === 'ready',
    );
    const ahead = [
      (await suite.running.http.join('ahead-1', eventId)).body.session_id as string,
      (await suite.running.http.join('ahead-2', eventId)).body.session_id as string,
    ];

    const page = await open(`/waitroom/${eventId}?user_id=person-1`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await screenshot(page, '01-idle');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.getByRole('button', { name: /Join/ }).click();
    await waitForText(page, '#position', (text) => text === '3 of 3');
    await expect(page.getByRole('heading', { name: 'You are in the queue' }).isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Progress to the front').isVisible()).resolves.toBe(true);
    const sessionId = await savedSessionId(page, eventId);
    expect(sessionId).toBeTruthy();
    expect((await status(sessionId!)).user_id).toBe('person-1');
    // The join was announced to screen readers through the polite live region.
    const live = page.locator('[aria-live="polite"]');
    expect(await live.textContent()).toContain('number 3');
    await screenshot(page, '02-queued-3');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // The person ahead leaves: the place falls on the page by itself (the stream).
    await suite.running.http.leave(ahead[0]);
    await waitForText(page, '#position', (text) => text.startsWith('2 of'));
    expect(await live.textContent()).toContain('number 2');
    await screenshot(page, '03-queued-2');

    // A reload keeps the place: same session, no second join.
    await page.reload();
    await waitForText(page, '#position', (text) => text.startsWith('2 of'));
    expect(await savedSessionId(page, eventId)).toBe(sessionId);
    expect((await suite.running.http.stats(eventId)).body.queue_length).toBe(2);
    await screenshot(page, '04-reloaded');

    await suite.running.http.leave(ahead[1]);
    await waitForText(page, '#position', (text) => text.startsWith('1 of'));
    // Joined at place 3, now at the front: the bar has gone the whole way the queue can take it.
    expect(await page.locator('#progress').getAttribute('value')).toBe('95');
    await screenshot(page, '05-queued-1');

    // The holder leaves, freeing the slot: our person is admitted.
    await suite.running.http.leave(first);
    const checkout = page.getByRole('link', { name: /checkout/i });
    await checkout.waitFor({ timeout: 15000 });
    const session = await status(sessionId!);
    expect(session.status).toBe('ready');
    const href = new URL((await checkout.getAttribute('href'))!);
    expect(`${href.origin}${href.pathname}`).toBe('https://shop.example.com/checkout');
    expect(href.searchParams.get('step')).toBe('pay');
    expect(href.searchParams.get('lang')).toBe('en');
    expect(href.searchParams.get('waitroom_token')).toBe(session.admission_token);
    // Focus moved to the link, and the turn was announced.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('checkout');
    expect(await live.textContent()).toContain('your turn');
    await screenshot(page, '06-ready');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('without a checkout_url shows the token to copy', async () => {
    const eventId = await suite.running.http.createEvent('page-token', {
      capacity: 5,
      admission_rate_per_minute: 6000,
    });
    const page = await open(`/waitroom/${eventId}`);
    await page.getByRole('button', { name: /Join/ }).click();
    const field = page.getByLabel('Your admission token');
    await field.waitFor({ timeout: 15000 });
    const sessionId = await savedSessionId(page, eventId);
    // An anonymous id kept in the browser stood in for the user id.
    expect((await status(sessionId!)).user_id).toMatch(/^anon-[0-9a-f]{32}$/);
    expect(await field.inputValue()).toBe((await status(sessionId!)).admission_token);
    expect(await field.getAttribute('readonly')).not.toBeNull();
    await expect(page.getByRole('button', { name: 'Copy' }).isVisible()).resolves.toBe(true);
    await screenshot(page, '07-token');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('speaks German from ?lang=de and from Accept-Language', async () => {
    const eventId = await suite.running.http.createEvent('page-de', { capacity: 1 });
    // Someone holds the only slot, so the person below stays queued at place 1.
    const holder = (await suite.running.http.join('holder-de', eventId)).body.session_id as string;
    await eventually(
      () => status(holder),
      (s) => s.status === 'ready',
    );
    const byQuery = await open(`/waitroom/${eventId}?lang=de`);
    expect(await byQuery.locator('html').getAttribute('lang')).toBe('de');
    expect(await byQuery.title()).toContain('Warteraum');
    await expect(byQuery.getByRole('button', { name: /beitreten/ }).isVisible()).resolves.toBe(true);
    await screenshot(byQuery, '08-de-query');

    const byHeader = await open(`/waitroom/${eventId}`, { locale: 'de-DE' });
    expect(await byHeader.locator('html').getAttribute('lang')).toBe('de');
    await byHeader.getByRole('button', { name: /beitreten/ }).click();
    await waitForText(byHeader, '#position', (text) => text === '1 von 1');
    // Joined at the front: the bar is as full as it gets while queued, not empty.
    expect(await byHeader.locator('#progress').getAttribute('value')).toBe('95');
    await expect(
      byHeader.getByRole('heading', { name: 'Sie sind in der Warteschlange' }).isVisible(),
    ).resolves.toBe(true);
    await screenshot(byHeader, '09-de-queued');

    // ?lang= wins over the header.
    const overridden = await open(`/waitroom/${eventId}?lang=en`, { locale: 'de-DE' });
    expect(await overridden.locator('html').getAttribute('lang')).toBe('en');
  });

  it('fits a 360 px wide phone screen without horizontal scrolling', async () => {
    const eventId = await suite.running.http.createEvent('page-phone', {
      capacity: 1,
      admission_rate_per_minute: 6000,
    });
    await suite.running.http.join('someone-first', eventId);
    await suite.running.http.join('someone-second', eventId);
    const page = await open(`/waitroom/${eventId}?lang=fr`, { viewport: { width: 360, height: 740 } });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: /Join/ }).click();
    await waitForText(page, '#position', (text) => text.startsWith('2 sur'));
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, '10-phone-queued-fr');
  });

  it('answers an unknown event with a 404 page', async () => {
    const page = await suite.newPage();
    const response = await page.goto(`${suite.running.baseUrl}/waitroom/no-such-event-${Date.now()}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Event not found' }).isVisible()).resolves.toBe(true);
    await screenshot(page, '11-not-found');
    expect(await seriousA11yViolations(page)).toEqual([]);
    // An id the API could never accept is the same page.
    const invalid = await page.goto(
      `${suite.running.baseUrl}/waitroom/${encodeURIComponent('bad id!')}?lang=de`,
    );
    expect(invalid?.status()).toBe(404);
    await expect(
      page.getByRole('heading', { name: 'Veranstaltung nicht gefunden' }).isVisible(),
    ).resolves.toBe(true);
  });

  it('says when the event is closed, on opening the page and on a join refused with 409', async () => {
    const closed = await suite.running.http.createEvent('page-closed', { capacity: 1, state: 'closed' });
    const page = await open(`/waitroom/${closed}`);
    await expect(page.getByRole('heading', { name: 'This queue is closed' }).isVisible()).resolves.toBe(true);
    await screenshot(page, '12-closed');

    const closing = await suite.running.http.createEvent('page-closing', { capacity: 1 });
    const late = await open(`/waitroom/${closing}`);
    await late.getByRole('button', { name: /Join/ }).waitFor();
    await suite.running.http.upsertEvent(closing, { capacity: 1, state: 'closed' });
    await late.getByRole('button', { name: /Join/ }).click();
    await late.getByRole('heading', { name: 'This queue is closed' }).waitFor({ timeout: 10000 });
    expect(await late.evaluate(() => document.activeElement?.id)).toBe('view-heading');
  });

  it('leaves the queue after a confirmation, and offers to join again', async () => {
    const eventId = await suite.running.http.createEvent('page-leave', {
      capacity: 1,
      admission_rate_per_minute: 6000,
    });
    await suite.running.http.join('holds-the-slot', eventId);
    const page = await open(`/waitroom/${eventId}`);
    await page.getByRole('button', { name: /Join/ }).click();
    await waitForText(page, '#position', (text) => text.startsWith('1 of'));
    const sessionId = await savedSessionId(page, eventId);
    await page.getByRole('button', { name: 'Leave the queue' }).click();
    const dialog = page.getByRole('dialog', { name: 'Leave the queue?' });
    await dialog.waitFor();
    await screenshot(page, '13-leave-confirm');
    // "Stay" keeps the place.
    await dialog.getByRole('button', { name: 'Stay in the queue' }).click();
    expect((await status(sessionId!)).status).toBe('queued');
    await page.getByRole('button', { name: 'Leave the queue' }).click();
    await dialog.getByRole('button', { name: 'Yes, leave the queue' }).click();
    await page.getByRole('heading', { name: 'You left the queue' }).waitFor({ timeout: 10000 });
    expect((await status(sessionId!)).status).toBe('left');
    await expect(page.getByRole('button', { name: /Join the queue again/ }).isVisible()).resolves.toBe(true);
    await screenshot(page, '14-left');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});
