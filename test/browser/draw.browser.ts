import { drawNumber } from '../../apps/waitroom/src/queue/queue-order';
import { eventually, startApp } from '../support/app-harness';
import { BrowserSuite, screenshot, seriousA11yViolations, waitForText } from '../support/browser';
import { ADMIN_KEY } from '../support/test-env';

/**
 * Issue 13 on the waiting page: before a shuffled opening the page says places are provisional
 * and shows the seed's commitment; from the opening it shows the person's own draw number
 * (computed in the browser from the revealed seed); when a place moves back it says why.
 */
describe('waiting page: the draw and places that move back (browser)', () => {
  const suite = BrowserSuite.forTests(() => startApp());

  it('shows the commitment, then the draw number, and explains a rise', async () => {
    const trusted = { 'x-api-key': ADMIN_KEY };
    const opensAt = new Date(Date.now() + 8000).toISOString();
    const eventId = await suite.running.http.createEvent('page-draw', {
      capacity: 1,
      shuffle_at_open: true,
      opens_at: opensAt,
    });
    const drawPath = `/api/v1/waitroom/events/${eventId}/draw`;
    const commitment = (await suite.running.http.get(drawPath)).body.seed_commitment as string;

    const page = await suite.newPage({ viewport: { width: 360, height: 780 } });
    await page.goto(`${suite.running.baseUrl}/waitroom/${eventId}?user_id=draw-person`);
    await page.getByRole('button', { name: /Join/ }).click();
    await waitForText(page, '#position', (text) => text.startsWith('1 of'));
    const note = await waitForText(page, '#draw-note', (text) => text.includes(commitment));
    expect(note).toContain('provisional');
    await screenshot(page, 'draw-01-before-opening');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Before the opening a guest lands ahead (here a priority one): the page says places are provisional.
    expect((await suite.running.http.join('vip-early', eventId, 5, trusted)).status).toBe(201);
    await waitForText(page, '#position', (text) => text.startsWith('2 of'));
    expect(await page.locator('#rise-note').textContent()).toContain('provisional until the opening');

    // The opening: the VIP takes the only slot, our person stays queued and sees their draw number.
    await eventually(
      () => suite.running.http.get(drawPath),
      (r) => typeof r.body.seed === 'string',
      15000,
      200,
    );
    const seed = (await suite.running.http.get(drawPath)).body.seed as string;
    const expected = new Intl.NumberFormat('en-US').format(drawNumber(seed, 'draw-person'));
    await waitForText(page, '#draw-number', (text) => text.includes(expected), 20000);
    expect(await page.locator('#draw-note').textContent()).toContain(seed);
    await waitForText(page, '#position', (text) => text.startsWith('1 of'));
    await screenshot(page, 'draw-02-after-opening');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // After the opening a priority guest arrives ahead: the place moves back, and the page says why.
    expect((await suite.running.http.join('vip-late', eventId, 5, trusted)).status).toBe(201);
    await waitForText(page, '#position', (text) => text.startsWith('2 of'));
    await waitForText(page, '#rise-note', (text) => text.includes('A priority guest joined ahead of you'));
    expect(await page.locator('[aria-live="polite"]').textContent()).toContain('priority guest');
    await screenshot(page, 'draw-03-priority-rise');
  });
});
