import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type Response,
} from 'playwright-core';
import type { RunningApp } from './app-harness';

/** Debian's chromium package: no browser download (the machines have no outside network). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOT_DIR = join(__dirname, '../../test-results/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * The app and Chromium of a browser test's describe block: started before its tests (the app by
 * `start`), closed after them. Every context made through it (English unless told otherwise) is
 * closed after each test.
 */
export class BrowserSuite {
  running!: RunningApp;
  browser!: Browser;
  private readonly contexts: BrowserContext[] = [];

  /** Registers the describe block's hooks. */
  static forTests(start: () => Promise<RunningApp>): BrowserSuite {
    const suite = new BrowserSuite();
    beforeAll(async () => {
      suite.running = await start();
      suite.browser = await launchBrowser();
    });
    afterAll(async () => {
      await suite.browser?.close();
      await suite.running?.close();
    });
    afterEach(async () => {
      for (const context of suite.contexts.splice(0)) await context.close();
    });
    return suite;
  }

  async newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ locale: 'en-US', ...options });
    this.contexts.push(context);
    return context.newPage();
  }

  /** A new page at `path` of the app, and the answer to its navigation. */
  async open(
    path: string,
    options: BrowserContextOptions = {},
  ): Promise<{ page: Page; response: Response | null }> {
    const page = await this.newPage(options);
    return { page, response: await page.goto(`${this.running.baseUrl}${path}`) };
  }
}

/** A full-page PNG in test-results/screenshots/<name>.png (git-ignored), for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // The page's state, not a frame of a transition: the progress bar eases for 0.6 s, except for
  // people who ask for reduced motion (its CSS), as the page is shown from here on.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core on the page as it is now: the serious and critical violations, described (none expected). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

/** Waits until the text of `selector` satisfies `accept` (the page updates itself). */
export async function waitForText(
  page: Page,
  selector: string,
  accept: (text: string) => boolean,
  timeoutMs = 15000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text =
      (await page
        .locator(selector)
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? '';
    if (accept(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: text ${JSON.stringify(text)} not accepted within ${timeoutMs} ms`);
}
