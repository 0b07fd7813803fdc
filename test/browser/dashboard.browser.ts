import type { BrowserContextOptions, Page } from 'playwright-core';
import { QueueService } from '../../apps/waitroom/src/queue/queue.service';
import { eventually, startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations, waitForText } from '../support/browser';
import { ADMIN_KEY } from '../support/test-env';

// What the page functions below touch in the browser (the test project has no DOM lib).
declare const document: {
  documentElement: { scrollWidth: number };
  activeElement: { id: string } | null;
  querySelectorAll(selector: string): ArrayLike<{ id: string; getAttribute(name: string): string | null }>;
};
declare const window: { innerWidth: number };
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};

const KEY_STORAGE = 'waitroom.dashboard.admin-key';

/**
 * The operator dashboard as an operator uses it, in headless Chromium against the real app
 * (in-process, history sampled every 500 ms, no Kafka consumer): give the key, create an event with
 * the form, watch its charts move as people join, pause (nobody admitted while people wait and a
 * slot is free) and resume (admissions go on), close; a refused key is asked again; axe on both
 * pages; a phone-sized screen. A screenshot per step lands in test-results/screenshots/.
 */
describe('operator dashboard (browser)', () => {
  const suite = BrowserSuite.forTests(() => startApp({ env: { HISTORY_SAMPLE_INTERVAL_MS: '500' } }));
  const admin = { 'x-api-key': ADMIN_KEY };

  async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
    const { page, response } = await suite.open(path, { viewport: { width: 1280, height: 900 }, ...options });
    expect(response?.status()).toBe(200);
    return page;
  }

  async function giveKey(page: Page, key: string): Promise<void> {
    await page.getByLabel('Admin API key').fill(key);
    await page.getByRole('button', { name: 'Use this key' }).click();
  }

  const stats = async (eventId: string) => (await suite.running.http.stats(eventId)).body;
  const points = (page: Page, chart: string) =>
    page.locator(`#chart-${chart}`).getAttribute('data-points').then(Number);
  /**
   * Every chart's number of points, read in one go. The page redraws all charts in one task, so
   * this sees them all at the same refresh; reads one chart at a time can straddle a refresh.
   */
  const pointsOfEveryChart = (page: Page) =>
    page.evaluate(() =>
      Object.fromEntries(
        Array.from(document.querySelectorAll('figure.chart'), (figure) => [
          figure.id,
          Number(figure.getAttribute('data-points')),
        ]),
      ),
    );

  it('asks for the key, creates an event with the form, then follows it live: charts, pause, resume, close', async () => {
    const page = await open('/admin/dashboard');
    // Nothing but the key form until a key is given.
    await page.getByLabel('Admin API key').waitFor();
    await expect(page.getByRole('heading', { name: 'Events' }).isVisible()).resolves.toBe(false);
    expect(await page.getByLabel('Admin API key').getAttribute('type')).toBe('password');
    await screenshot(page, 'dashboard-01-key');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // A wrong key is refused in words, and nothing is kept.
    await giveKey(page, 'not-the-key-0123456789');
    await waitForText(page, '#key-error', (text) => text.includes('refused (401)'));
    expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();
    await screenshot(page, 'dashboard-02-key-refused');

    await giveKey(page, ADMIN_KEY);
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await waitForText(page, '#status', (text) => text.includes('Key accepted'));
    // Kept in the tab, never in the URL.
    expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBe(ADMIN_KEY);
    expect(page.url()).not.toContain(ADMIN_KEY);

    // The form shows the API's own reasons when it refuses.
    const eventId = `dash-${Date.now()}`;
    await page.getByLabel('Event id').fill(eventId);
    await page.getByLabel('Capacity', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Create event' }).click();
    await waitForText(page, '#create-error', (text) => text.includes('capacity must not be less than 1'));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('create-error');
    await screenshot(page, 'dashboard-03-create-refused');

    await page.getByLabel('Capacity', { exact: true }).fill('2');
    await page.getByLabel('Admission rate per minute').fill('6000');
    await page.getByLabel('Checkout timeout in seconds').fill('300');
    await page.getByLabel('State').selectOption('open');
    await page.getByRole('button', { name: 'Create event' }).click();
    await waitForText(page, '#status', (text) => text.includes(`Event ${eventId} created`));
    const created = await suite.running.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin);
    expect(created.body).toMatchObject({
      capacity: 2,
      admission_rate_per_minute: 6000,
      checkout_timeout_seconds: 300,
      state: 'open',
    });
    // Creating the same id again is refused instead of overwriting it.
    await page.getByLabel('Event id').fill(eventId);
    await page.getByRole('button', { name: 'Create event' }).click();
    await waitForText(page, '#create-error', (text) => text.includes('already exists'));

    // The list shows it with live numbers.
    await suite.running.http.join('listed-1', eventId);
    await waitForText(page, `tr[data-event-id="${eventId}"] td:nth-child(6)`, (text) => text === '1');
    await screenshot(page, 'dashboard-04-list');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Its page, in the same tab: the key is not asked again.
    await page.getByRole('link', { name: eventId }).click();
    await page.waitForURL(`**/admin/dashboard/${eventId}`);
    await page.getByRole('heading', { name: `Event ${eventId}` }).waitFor();
    await expect(page.getByLabel('Admin API key').isVisible()).resolves.toBe(false);
    await waitForText(page, '#n-active', (text) => text === '1');
    // Nobody admitted so far was told a wait (the first joined an empty, free event).
    await waitForText(page, '#estimate-accuracy', (text) =>
      text.startsWith('Estimated waits: not measured yet'),
    );
    await eventually(
      () => points(page, 'queue'),
      (n) => n >= 2,
    );
    const queueChart = page.locator('#chart-queue canvas');
    const before = { points: await points(page, 'queue'), image: await queueChart.screenshot() };

    // People join through the API: the charts move.
    for (let i = 0; i < 12; i++) await suite.running.http.join(`person-${i}`, eventId);
    await waitForText(page, '#n-queue', (text) => text === '11');
    await eventually(
      () => points(page, 'queue'),
      (n) => n >= before.points + 3,
    );
    const after = { points: await points(page, 'queue'), image: await queueChart.screenshot() };
    expect(after.points).toBeGreaterThan(before.points);
    expect(Buffer.compare(after.image, before.image)).not.toBe(0);
    // All charts share the samples (one refresh may have landed since `after` was read).
    const everyChart = await pointsOfEveryChart(page);
    expect(Object.keys(everyChart).sort()).toEqual([
      'chart-active',
      'chart-flow',
      'chart-joins',
      'chart-queue',
    ]);
    expect(new Set(Object.values(everyChart))).toEqual(new Set([everyChart['chart-queue']]));
    expect(everyChart['chart-queue']).toBeGreaterThanOrEqual(after.points);
    await waitForText(page, '#chart-joins-summary', (text) => /Highest: Joins \/ min: [1-9]/.test(text));
    await screenshot(page, 'dashboard-05-event-live');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Pause: nobody is admitted, even with a free slot and people waiting.
    await page.getByRole('button', { name: 'Pause' }).click();
    await waitForText(page, '#status', (text) => text.startsWith('Paused'));
    await waitForText(page, '#n-state', (text) => text === 'paused');
    expect((await stats(eventId)).state).toBe('paused');
    const readyOne = (await suite.running.http.join('listed-1', eventId)).body;
    expect(readyOne.status).toBe('ready');
    await suite.running.app.get(QueueService).finishCheckout(readyOne.session_id, 'completed');
    const paused = await stats(eventId);
    expect(paused.active_count).toBe(1);
    await page.waitForTimeout(1500); // 30 admission ticks
    const stillPaused = await stats(eventId);
    expect(stillPaused.admitted_total).toBe(paused.admitted_total);
    expect(stillPaused.queue_length).toBe(paused.queue_length);
    expect(stillPaused.queue_length).toBeGreaterThan(0);
    await expect(page.getByRole('button', { name: 'Pause' }).isDisabled()).resolves.toBe(true);
    await screenshot(page, 'dashboard-06-paused');

    // Resume: admissions go on.
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForText(page, '#status', (text) => text.startsWith('Resumed'));
    await eventually(
      () => stats(eventId),
      (s) => s.admitted_total > stillPaused.admitted_total && s.active_count === 2,
    );
    await waitForText(page, '#chart-flow-summary', (text) => /Highest: Admissions \/ min: [1-9]/.test(text));
    await screenshot(page, 'dashboard-07-resumed');

    // Capacity and rate: Save keeps the rest of the config (PUT replaces it all).
    await page.getByLabel('Capacity', { exact: true }).fill('5');
    await page.getByLabel('Admission rate per minute').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitForText(page, '#status', (text) => text.startsWith('Saved'));
    const saved = (await suite.running.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin)).body;
    expect(saved).toMatchObject({
      capacity: 5,
      admission_rate_per_minute: null,
      checkout_timeout_seconds: 300,
      state: 'open',
    });
    await waitForText(page, '#n-active', (text) => text === '5');
    // An invalid value is refused with the API's words.
    await page.getByLabel('Capacity', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitForText(page, '#controls-error', (text) => text.includes('capacity must not be less than 1'));

    // Close: joins refused (409) from then on.
    await page.getByRole('button', { name: 'Close' }).click();
    await waitForText(page, '#n-state', (text) => text === 'closed');
    expect((await suite.running.http.join('too-late', eventId)).status).toBe(409);
    await screenshot(page, 'dashboard-08-closed');
  });

  it('asks for the key again when the API refuses it (401)', async () => {
    const page = await open('/admin/dashboard');
    await page.evaluate(([k, v]) => sessionStorage.setItem(k, v), [KEY_STORAGE, 'rotated-key-0123456789']);
    await page.reload();
    await waitForText(page, '#key-error', (text) => text.includes('refused'));
    await page.getByLabel('Admin API key').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('admin-key');
    expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();
    await screenshot(page, 'dashboard-09-asked-again');
    await giveKey(page, ADMIN_KEY);
    await page.getByRole('heading', { name: 'Events' }).waitFor();
  });

  it('fits a 360 px wide phone screen, and an unknown event is a 404 page', async () => {
    const eventId = await suite.running.http.createEvent('dash-phone', { capacity: 3 });
    await suite.running.http.join('someone', eventId);
    const page = await open(`/admin/dashboard/${eventId}`, { viewport: { width: 360, height: 740 } });
    await giveKey(page, ADMIN_KEY);
    await waitForText(page, '#n-queue', (text) => text !== '–');
    await eventually(
      () => points(page, 'queue'),
      (n) => n >= 2,
    );
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'dashboard-10-phone');
    expect(await seriousA11yViolations(page)).toEqual([]);

    const missing = await page.goto(`${suite.running.baseUrl}/admin/dashboard/no-such-event`);
    expect(missing?.status()).toBe(404);
    await expect(
      page.getByRole('heading', { name: 'There is no event no-such-event.' }).isVisible(),
    ).resolves.toBe(true);
  });
});
