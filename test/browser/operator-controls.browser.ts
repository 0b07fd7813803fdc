import type { BrowserContextOptions, Page } from 'playwright-core';
import { eventually, startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations, waitForText } from '../support/browser';
import { ADMIN_KEY } from '../support/test-env';

// What the page functions below touch in the browser (the test project has no DOM lib).
declare const document: {
  documentElement: { scrollWidth: number };
  getElementById(id: string): { innerHTML: string } | null;
};
declare const window: { innerWidth: number };

/**
 * Issue 25 in the browser: the operator's live message appearing on an open waiting page without
 * a reload (as text, never HTML), the sold-out notice with the message in English and German, and
 * the dashboard's message field and Sold out button with its confirmation. Screenshots of every
 * step land in test-results/screenshots/ (operator-*).
 */
const ALICE_KEY = 'alice-operator-key-0123456789';
const VIEWER_KEY = 'night-viewer-key-0123456789ab';

describe('operator controls on the pages (browser)', () => {
  const suite = BrowserSuite.forTests(() =>
    startApp({
      env: { ADMIN_API_KEYS: `alice:${ALICE_KEY}`, ADMIN_VIEWER_KEYS: `night-viewer:${VIEWER_KEY}` },
    }),
  );
  const admin = { 'x-api-key': ADMIN_KEY };

  async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
    const { page, response } = await suite.open(path, options);
    expect(response?.status()).toBe(200);
    return page;
  }

  async function joinOnPage(eventId: string, userId: string, lang = 'en'): Promise<Page> {
    const page = await open(`/waitroom/${eventId}?user_id=${userId}&lang=${lang}`, {
      viewport: { width: 360, height: 740 },
    });
    await page.getByRole('button', { name: /Join|anstellen/ }).click();
    await page.locator('#position').waitFor();
    return page;
  }

  it('shows a new message live, as text, and the sold-out notice with it (English)', async () => {
    const eventId = await suite.running.http.createEvent('op-page', { capacity: 1, state: 'paused' });
    const page = await joinOnPage(eventId, 'reader-1');
    await expect(page.locator('#event-message').isVisible()).resolves.toBe(false);

    const text = 'Back in 5 minutes. <img src=x onerror="alert(1)"> Thanks for your patience!';
    await suite.running.http.upsertEvent(eventId, { capacity: 1, state: 'paused', message: text });
    await waitForText(page, '#event-message-text', (shown) => shown === text, 5000);
    // Text, never markup: no element was made from it.
    expect(await page.evaluate(() => document.getElementById('event-message-text')?.innerHTML)).not.toContain(
      '<img',
    );
    await expect(page.getByRole('heading', { name: 'Message from the organiser' }).isVisible()).resolves.toBe(
      true,
    );
    expect(await page.locator('[aria-live="polite"]').textContent()).toContain(text);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'operator-01-message-live');
    expect(await seriousA11yViolations(page)).toEqual([]);

    const done = await suite.running.http.post(
      `/api/v1/waitroom/admin/events/${eventId}/sold-out`,
      { message: 'All tickets are gone. See you next tour!' },
      admin,
    );
    expect(done.body.ended_sessions).toBe(1);
    await page.getByRole('heading', { name: 'Sold out' }).waitFor({ timeout: 5000 });
    await waitForText(
      page,
      '#event-message-text',
      (shown) => shown === 'All tickets are gone. See you next tour!',
    );
    await expect(page.getByRole('button', { name: /Join/ }).count()).resolves.toBe(0);
    await screenshot(page, 'operator-02-sold-out-en');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // A reload still says so.
    await page.reload();
    await page.getByRole('heading', { name: 'Sold out' }).waitFor();
    await waitForText(page, '#event-message-text', (shown) => shown.startsWith('All tickets are gone'));
  });

  it('keeps a page that has not joined current: the message appears, and the join offer turns into the closed notice', async () => {
    const eventId = await suite.running.http.createEvent('op-idle', { capacity: 1, state: 'paused' });
    const page = await open(`/waitroom/${eventId}`, { viewport: { width: 360, height: 740 } });
    await page.getByRole('button', { name: /Join/ }).waitFor();
    await suite.running.http.upsertEvent(eventId, {
      capacity: 1,
      state: 'paused',
      message: 'Sale starts at 10:00.',
    });
    await waitForText(page, '#event-message-text', (shown) => shown === 'Sale starts at 10:00.', 6000);
    await suite.running.http.post(
      `/api/v1/waitroom/admin/events/${eventId}/sold-out`,
      { message: 'Sold out before it began.' },
      admin,
    );
    await page.getByRole('heading', { name: 'This queue is closed' }).waitFor({ timeout: 6000 });
    await waitForText(page, '#event-message-text', (shown) => shown === 'Sold out before it began.', 6000);
    await screenshot(page, 'operator-12-idle-page-closed');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('shows the sold-out notice in German, with the message', async () => {
    const eventId = await suite.running.http.createEvent('op-page-de', { capacity: 1, state: 'paused' });
    const page = await joinOnPage(eventId, 'leser-1', 'de');
    await suite.running.http.post(
      `/api/v1/waitroom/admin/events/${eventId}/sold-out`,
      { message: 'Alle Karten sind verkauft.' },
      admin,
    );
    await page.getByRole('heading', { name: 'Ausverkauft' }).waitFor({ timeout: 5000 });
    await expect(
      page.getByRole('heading', { name: 'Nachricht des Veranstalters' }).isVisible(),
    ).resolves.toBe(true);
    await waitForText(page, '#event-message-text', (shown) => shown === 'Alle Karten sind verkauft.');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await screenshot(page, 'operator-03-sold-out-de');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('lets the operator set the message and declare sold out from the dashboard, after a confirmation', async () => {
    const eventId = await suite.running.http.createEvent('op-dash', { capacity: 1, state: 'paused' });
    await suite.running.http.joinMany(eventId, 3, 'waiting');
    const visitor = await joinOnPage(eventId, 'visitor-1');

    const { page } = await suite.open(`/admin/dashboard/${eventId}`, {
      viewport: { width: 1280, height: 900 },
    });
    await page.getByLabel('Admin API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await waitForText(page, '#n-queue', (text) => text === '4');

    await page.getByLabel('Message to everyone waiting').fill('Doors open at 8 pm.');
    await page.getByRole('button', { name: 'Publish message' }).click();
    await waitForText(page, '#status', (text) => text.includes('Message saved'));
    await waitForText(visitor, '#event-message-text', (shown) => shown === 'Doors open at 8 pm.', 5000);
    await screenshot(page, 'operator-04-dashboard-message');

    // Sold out asks first; Cancel changes nothing.
    await page.getByRole('button', { name: 'Sold out' }).click();
    const dialog = page.getByRole('dialog', { name: `Declare ${eventId} sold out?` });
    await dialog.waitFor();
    await waitForText(page, '#sold-out-count', (text) => text.startsWith('4'));
    await screenshot(page, 'operator-05-dashboard-sold-out-confirm');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog.isVisible()).resolves.toBe(false);
    expect((await suite.running.http.stats(eventId)).body).toMatchObject({
      state: 'paused',
      queue_length: 4,
    });

    await page.getByRole('button', { name: 'Sold out' }).click();
    await dialog.getByLabel('Message shown with the notice (optional)').fill('Sold out, thank you!');
    await dialog.getByRole('button', { name: 'Yes, sold out' }).click();
    await waitForText(page, '#status', (text) => text.includes('4 queued places ended'));
    await waitForText(page, '#n-state', (text) => text === 'closed');
    await waitForText(page, '#n-queue', (text) => text === '0');
    expect(await page.getByLabel('Message to everyone waiting').inputValue()).toBe('Sold out, thank you!');
    await screenshot(page, 'operator-06-dashboard-sold-out-done');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await visitor.getByRole('heading', { name: 'Sold out' }).waitFor({ timeout: 5000 });
    await waitForText(visitor, '#event-message-text', (shown) => shown === 'Sold out, thank you!');
    await screenshot(visitor, 'operator-07-visitor-sold-out');
    await eventually(
      () => suite.running.http.stats(eventId),
      (r) => r.body.left_total === 4,
    );
  });

  async function dashboardAs(eventId: string, key: string): Promise<Page> {
    const { page } = await suite.open(`/admin/dashboard/${eventId}`, {
      viewport: { width: 1280, height: 900 },
    });
    await page.getByLabel('Admin API key').fill(key);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.getByRole('heading', { name: `Event ${eventId}` }).waitFor();
    return page;
  }

  it("shows a viewer the numbers and the Changes list, with every control disabled; an operator's change appears in the list", async () => {
    const eventId = `op-audit-${Date.now()}`;
    const created = await suite.running.http.put(
      `/api/v1/waitroom/admin/events/${eventId}`,
      { capacity: 1, state: 'paused' },
      { 'x-api-key': ALICE_KEY },
    );
    expect(created.status).toBe(201);
    await suite.running.http.joinMany(eventId, 2, 'seen');

    const viewer = await dashboardAs(eventId, VIEWER_KEY);
    await waitForText(viewer, '#n-queue', (text) => text === '2');
    await viewer.locator('#role-note').waitFor();
    for (const name of ['Pause', 'Resume', 'Close', 'Save', 'Publish message', 'Sold out'])
      await expect(viewer.getByRole('button', { name, exact: true }).isDisabled()).resolves.toBe(true);
    await expect(viewer.getByLabel('Capacity').isDisabled()).resolves.toBe(true);
    await expect(viewer.getByLabel('Message to everyone waiting').isDisabled()).resolves.toBe(true);
    await waitForText(viewer, '#changes', (text) => text.includes('alice created the event'));
    await screenshot(viewer, 'operator-08-viewer-dashboard');
    expect(await seriousA11yViolations(viewer)).toEqual([]);

    // An operator saves a new capacity from the dashboard: the viewer's list shows who did what.
    const operator = await dashboardAs(eventId, ALICE_KEY);
    await expect(operator.locator('#role-note').isVisible()).resolves.toBe(false);
    await operator.getByLabel('Capacity').fill('5');
    await operator.getByRole('button', { name: 'Save', exact: true }).click();
    await waitForText(operator, '#status', (text) => text.includes('Saved'));
    await waitForText(viewer, '#changes li:first-child', (text) =>
      text.includes('alice changed: capacity 1 → 5'),
    );
    // Newest first: the change, then the creation.
    const items = viewer.locator('#changes').getByRole('listitem');
    expect(await items.count()).toBe(2);
    expect(await items.nth(1).textContent()).toContain('alice created the event');
    await screenshot(viewer, 'operator-09-viewer-sees-change');
    expect(
      (await suite.running.http.get(`/api/v1/waitroom/admin/events/${eventId}/audit`, admin)).body.entries,
    ).toHaveLength(2);
  });

  /** A 1×1 PNG, served for the logo's origin (the browser has no network here). */
  const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
    'base64',
  );

  it.each([
    ['light', '#ffeb3b'],
    ['dark', '#0b1f3a'],
  ])(
    'shows a branded page (%s brand colour) at 360 px: heading, logo with alt text, readable accent, axe clean',
    async (tone, color) => {
      const eventId = await suite.running.http.createEvent(`op-brand-${tone}`, {
        capacity: 1,
        state: 'paused',
        display_name: 'Stadium Tour 2026',
        brand_color: color,
        logo_url: 'https://cdn.example.test/tour/logo.png',
      });
      const page = await suite.newPage({ viewport: { width: 360, height: 740 } });
      const blocked: string[] = [];
      await page.route('https://**/*.png', (route) =>
        route.fulfill({ status: 200, contentType: 'image/png', body: PNG }),
      );
      page.on('console', (message) => {
        if (/Content Security Policy/.test(message.text())) blocked.push(message.text());
      });
      await page.goto(`${suite.running.baseUrl}/waitroom/${eventId}`);
      await expect(
        page.getByRole('heading', { level: 1, name: 'Stadium Tour 2026' }).isVisible(),
      ).resolves.toBe(true);
      const logo = page.getByRole('img', { name: 'Stadium Tour 2026' });
      await logo.waitFor();
      await eventually(
        () => logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        (width) => width === 1,
      );
      expect(await page.title()).toContain('Stadium Tour 2026');

      // The accent is the brand colour, darkened only as far as text contrast needs.
      const join = page.getByRole('button', { name: /Join/ });
      const colors = await join.evaluate((button) => {
        const style = (
          globalThis as unknown as {
            getComputedStyle(e: unknown): { backgroundColor: string; color: string };
          }
        ).getComputedStyle(button);
        return { background: style.backgroundColor, text: style.color };
      });
      expect(colors.text).toBe('rgb(255, 255, 255)');
      if (tone === 'dark') expect(colors.background).toBe('rgb(11, 31, 58)');
      else expect(colors.background).not.toBe('rgb(255, 235, 59)');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot(page, `operator-10-branded-${tone}`);
      expect(await seriousA11yViolations(page)).toEqual([]);

      // Another origin's image is refused by the page's CSP.
      // (a decorative image, so axe has nothing to say about it)
      await page.evaluate(
        "(() => { const img = document.createElement('img'); img.alt = ''; img.src = 'https://elsewhere.example.test/tracker.png'; document.body.append(img); })()",
      );
      await eventually(
        async () => blocked.length,
        (count) => count > 0,
        5000,
      );
      expect(blocked.join(' ')).toContain('elsewhere.example.test');

      await join.click();
      await page.locator('#position').waitFor();
      await screenshot(page, `operator-11-branded-${tone}-queued`);
      expect(await seriousA11yViolations(page)).toEqual([]);
    },
  );
});
