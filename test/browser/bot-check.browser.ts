import type { Page } from 'playwright-core';
import { startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations, waitForText } from '../support/browser';

// What the page functions below touch in the browser (the test project has no DOM lib).
declare const localStorage: { getItem(key: string): string | null };

/**
 * The waiting page of an event with the bot check on (bot_check proof_of_work), in headless
 * Chromium against the real app: the page fetches the challenge, solves it in its worker while
 * the person reads ("Checking your browser…", progress), enables Join, and joins with the proof;
 * a proof the service refuses is solved afresh and the join retried once. The difficulty is kept
 * low here; what a real one costs is in the README ("Bot check").
 */
describe('waiting page with the bot check (browser)', () => {
  const suite = BrowserSuite.forTests(() => startApp({ background: false }));

  async function open(path: string): Promise<Page> {
    const { page, response } = await suite.open(path);
    expect(response).not.toBeNull();
    return page;
  }

  const powEvent = (label: string, maxNumber: number) =>
    suite.running.http.createEvent(label, {
      capacity: 10,
      state: 'paused',
      bot_check: 'proof_of_work',
      bot_check_max_number: maxNumber,
    });

  const savedSessionId = (page: Page, eventId: string) =>
    page.evaluate(
      (key) => (JSON.parse(localStorage.getItem(key) ?? 'null') as { session_id: string } | null)?.session_id,
      `waitroom:session:${eventId}`,
    );

  it('checks the browser while the person reads, then joins with the proof', async () => {
    const eventId = await powEvent('pow-page', 20_000);
    const page = await open(`/waitroom/${eventId}?user_id=pow-person`);
    const started = Date.now();
    const join = page.getByRole('button', { name: /Join/ });
    await expect(page.getByLabel('Browser check').isVisible()).resolves.toBe(true);
    await screenshot(page, 'pow-01-checking');

    await waitForText(page, '#pow-status', (text) => text.startsWith('Browser checked'));
    const tookMs = Date.now() - started;
    await expect(join.isEnabled()).resolves.toBe(true);
    // The check's own clock in Chromium here (a phone is slower): for the README's calibration.
    console.log(`bot check: ${tookMs} ms in headless Chromium for a counter of at most 20,000`);
    await screenshot(page, 'pow-02-checked');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await join.click();
    await waitForText(page, '#position', (text) => /^\d+ of \d+$/.test(text));
    const sessionId = await savedSessionId(page, eventId);
    expect((await suite.running.http.session(sessionId!)).body).toMatchObject({
      user_id: 'pow-person',
      status: 'queued',
    });
    await screenshot(page, 'pow-03-queued');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('solves a fresh challenge and retries once when the service refuses the proof', async () => {
    const eventId = await powEvent('pow-retry', 50);
    const page = await open(`/waitroom/${eventId}?user_id=pow-retry-person`);
    await waitForText(page, '#pow-status', (text) => text.startsWith('Browser checked'));
    // Someone else spends the page's proof first (it is in the page's memory; here we take it
    // from the wire): the page's own join is refused as PROOF_INVALID and must recover.
    let spent = false;
    await page.route('**/api/v1/waitroom/join', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { altcha?: string };
      if (!spent && body.altcha) {
        spent = true;
        const first = await suite.running.http.post('/api/v1/waitroom/join', {
          user_id: 'someone-else',
          event_id: eventId,
          altcha: body.altcha,
        });
        expect(first.status).toBe(201);
      }
      await route.continue();
    });
    const challenges: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/challenge')) challenges.push(request.url());
    });
    await page.getByRole('button', { name: /Join/ }).click();
    await waitForText(page, '#position', (text) => /^\d+ of \d+$/.test(text));
    expect(spent).toBe(true);
    expect(challenges).toHaveLength(1);
    const sessionId = await savedSessionId(page, eventId);
    expect((await suite.running.http.session(sessionId!)).body.user_id).toBe('pow-retry-person');
  });

  it('shows no check for an event without the bot check', async () => {
    const eventId = await suite.running.http.createEvent('pow-off', { capacity: 10, state: 'paused' });
    const page = await open(`/waitroom/${eventId}`);
    const join = page.getByRole('button', { name: /Join/ });
    await expect(join.isEnabled()).resolves.toBe(true);
    await expect(page.locator('#pow-status').count()).resolves.toBe(0);
  });
});
