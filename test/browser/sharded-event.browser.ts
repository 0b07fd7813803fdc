import type { BrowserContextOptions, Page } from 'playwright-core';
import { eventually, startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations, waitForText } from '../support/browser';
import { ADMIN_KEY } from '../support/test-env';

/**
 * Issue 23: the waiting page and the operator dashboard work unchanged on a sharded event
 * (`shards: 3`), in headless Chromium against the real app (in-process, on the stack's Redis,
 * history sampled every 500 ms): the place shown is the event's over every shard and falls as
 * people ahead leave from any shard, admission brings the checkout link with the token, and the
 * dashboard shows the event's numbers and history summed over its shards.
 */
describe('a sharded event in the browser', () => {
  const suite = BrowserSuite.forTests(() => startApp({ env: { HISTORY_SAMPLE_INTERVAL_MS: '500' } }));
  const admin = { 'x-api-key': ADMIN_KEY };

  async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
    const { page, response } = await suite.open(path, { viewport: { width: 1280, height: 900 }, ...options });
    expect(response?.status()).toBe(200);
    return page;
  }

  /** A sharded session's member id starts with its shard's digit (queue/session-id.ts). */
  const shardOf = (sessionId: string) => sessionId.split('~')[1][0];
  const status = async (sessionId: string) => (await suite.running.http.session(sessionId)).body;

  it('shows the event-wide place on the waiting page, admits to checkout, and sums the shards on the dashboard', async () => {
    const eventId = await suite.running.http.createEvent('sharded-page', {
      capacity: 1,
      admission_rate_per_minute: 6000,
      checkout_url: 'https://shop.example.com/checkout',
      shards: 3,
    });
    // Someone holds the only slot; five more wait ahead of our person, over the shards.
    const holder = (await suite.running.http.join('holder', eventId)).body.session_id as string;
    await eventually(
      () => status(holder),
      (s) => s.status === 'ready',
    );
    const ahead: string[] = [];
    for (let i = 0; i < 5; i++)
      ahead.push((await suite.running.http.join(`ahead-${i}`, eventId)).body.session_id as string);
    expect(new Set([holder, ...ahead].map(shardOf)).size).toBeGreaterThan(1);

    const page = await open(`/waitroom/${eventId}?user_id=sharded-person`);
    await page.getByRole('button', { name: /Join/ }).click();
    // The place counts everybody ahead in every shard (a join is told an upper bound; the
    // stream then gives the exact place).
    await waitForText(page, '#position', (text) => text === '6 of 6');
    await screenshot(page, 'sharded-01-queued-6');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // People ahead leave, whichever shard holds them: the place falls on the page by itself.
    for (const sessionId of ahead.slice(0, 3)) await suite.running.http.leave(sessionId);
    await waitForText(page, '#position', (text) => text === '3 of 3');
    for (const sessionId of ahead.slice(3)) await suite.running.http.leave(sessionId);
    await waitForText(page, '#position', (text) => text === '1 of 1');
    await screenshot(page, 'sharded-02-queued-1');

    // The holder leaves: our person is admitted, with the checkout link and the token.
    await suite.running.http.leave(holder);
    const checkout = page.getByRole('link', { name: /checkout/i });
    await checkout.waitFor({ timeout: 15000 });
    const href = new URL((await checkout.getAttribute('href'))!);
    const token = href.searchParams.get('waitroom_token');
    const [, payload] = token!.split('.');
    const sessionId = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string }).sub;
    expect(await status(sessionId)).toMatchObject({
      status: 'ready',
      user_id: 'sharded-person',
      admission_token: token,
    });
    await screenshot(page, 'sharded-03-ready');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // More people join; the dashboard shows the event as a whole: queue and active summed over
    // the shards, the history charts moving.
    for (let i = 0; i < 9; i++) await suite.running.http.join(`later-${i}`, eventId);
    const stats = (await suite.running.http.stats(eventId)).body;
    expect(stats).toMatchObject({ queue_length: 9, active_count: 1 });
    const dashboard = await open(`/admin/dashboard/${eventId}`);
    await dashboard.getByLabel('Admin API key').fill(ADMIN_KEY);
    await dashboard.getByRole('button', { name: 'Use this key' }).click();
    await dashboard.getByRole('heading', { name: `Event ${eventId}` }).waitFor();
    await waitForText(dashboard, '#n-queue', (text) => text === '9');
    await waitForText(dashboard, '#n-active', (text) => text === '1');
    await eventually(
      () => dashboard.locator('#chart-queue').getAttribute('data-points').then(Number),
      (points) => points >= 2,
    );
    const history = await suite.running.http.get(`/api/v1/waitroom/admin/events/${eventId}/history`, admin);
    expect(history.body.queue_length).toContain(9);
    await screenshot(dashboard, 'sharded-04-dashboard');
    expect(await seriousA11yViolations(dashboard)).toEqual([]);
  });
});
