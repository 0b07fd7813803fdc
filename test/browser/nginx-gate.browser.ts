import { exportPKCS8, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { eventually, startApp, type RunningApp } from '../support/app-harness';
import { launchBrowser, screenshot, seriousA11yViolations, waitForText } from '../support/browser';
import { startNginx, type RunningNginx } from '../support/nginx';
import { startSimulator, type RunningSimulator } from '../support/simulator-harness';

/** A tiny protected site: every path answers a page naming it, and the requests are kept. */
async function startOrigin(): Promise<{
  server: Server;
  address: string;
  seen: { path: string; cookie: string }[];
}> {
  const seen: { path: string; cookie: string }[] = [];
  const server = createServer((request, response) => {
    seen.push({ path: request.url ?? '', cookie: request.headers.cookie ?? '' });
    const path = new URL(request.url ?? '/', 'http://origin').pathname;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><html lang="en"><head><title>The shop</title></head>` +
        `<body><main><h1>The shop</h1><p id="path">${path.replace(/[<>&"]/g, '')}</p></main></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/**
 * Issue 24 item 3: Debian's nginx with deploy/nginx/waitroom-gate.conf in front of a site on
 * loopback, the gate endpoint behind its auth_request, and a person in Chromium: asked for a
 * protected page, sent to the waiting page, admitted, back on the site through the link; a
 * forged or expired cookie sends them back, and the checkout simulator's CHECKOUT_COMPLETED
 * ends the pass.
 */
describe('a site behind nginx and the Waitroom gate (browser)', () => {
  let waitroom: RunningApp;
  let simulator: RunningSimulator;
  let nginx: RunningNginx;
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let browser: Browser;
  let signingKeyPem: string;
  const eventId = `nginx-${Date.now()}`;

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    signingKeyPem = await exportPKCS8(privateKey);
    waitroom = await startApp({
      consumer: true,
      env: { ADMISSION_TOKEN_PRIVATE_KEY: signingKeyPem, TRUST_PROXY_HOPS: '1' },
    });
    simulator = await startSimulator({
      // Long enough for the person to reach the site and look around; then checkout completes.
      env: {
        WAITROOM_URL: waitroom.baseUrl,
        SIMULATED_EVENTS: eventId,
        CHECKOUT_DELAY_MS: '15000',
        CHECKOUT_FAILURE_RATE: '0',
      },
    });
    origin = await startOrigin();
    nginx = await startNginx({
      origin: origin.address,
      waitroom: new URL(waitroom.baseUrl).host,
      eventId,
    });
    const created = await waitroom.http.upsertEvent(eventId, {
      capacity: 1,
      checkout_timeout_seconds: 300,
      gate_origins: [nginx.baseUrl],
    });
    expect(created.status).toBe(201);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await new Promise((resolve) => origin?.server.close(resolve));
    await simulator?.close();
    await waitroom?.close();
  });

  /** The page is the event's waiting page, sent there with return_to = `returnTo`. */
  function expectWaitingPage(page: Page, returnTo: string): void {
    const url = new URL(page.url());
    expect(url.origin).toBe(nginx.baseUrl);
    expect(url.pathname).toBe(`/waitroom/${eventId}`);
    expect(url.searchParams.get('return_to')).toBe(returnTo);
  }

  it('waiting page, admission, back to the page asked for; the pass holds until checkout completes', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const asked = `${nginx.baseUrl}/shop/item?colour=blue`;
    await page.goto(asked);
    expectWaitingPage(page, asked);
    expect(origin.seen).toEqual([]); // nothing reached the site
    await page.getByRole('button', { name: /Join/ }).waitFor();
    await screenshot(page, 'nginx-01-waiting-page');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.getByRole('button', { name: /Join/ }).click();
    const link = page.getByRole('link', { name: /checkout/i });
    await link.waitFor({ timeout: 20_000 });
    const href = new URL((await link.getAttribute('href'))!);
    expect(`${href.origin}${href.pathname}`).toBe(`${nginx.baseUrl}/shop/item`);
    expect(href.searchParams.get('colour')).toBe('blue');
    const token = href.searchParams.get('waitroom_token')!;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await screenshot(page, 'nginx-02-admitted');

    await link.click();
    await page.waitForURL((url) => url.pathname === '/shop/item');
    await waitForText(page, 'h1', (text) => text === 'The shop');
    await screenshot(page, 'nginx-03-origin-page');
    // The gate turned the token into the pass cookie, for the site's whole origin, out of scripts' reach.
    const cookie = (await context.cookies(nginx.baseUrl)).find((c) => c.name === 'waitroom_pass');
    expect(cookie).toMatchObject({ value: token, httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 250);

    // Another page of the site: the cookie alone is the pass; the site sees its own request.
    await page.goto(`${nginx.baseUrl}/shop/basket`);
    await waitForText(page, '#path', (text) => text === '/shop/basket');
    // (The browser asks for /favicon.ico too, with the same pass.)
    const basket = origin.seen.find((request) => request.path === '/shop/basket');
    expect(basket?.cookie).toContain(`waitroom_pass=${token}`);

    // A form's POST passes on the same cookie (nginx asks the gate with a GET subrequest), its body
    // reaching the site; without the cookie it is sent to the waiting page.
    const posted = await context.request.post(`${nginx.baseUrl}/shop/order`, {
      form: { item: '42' },
      maxRedirects: 0,
    });
    expect(posted.status()).toBe(200);
    expect(origin.seen.some((request) => request.path === '/shop/order')).toBe(true);
    const anonymous = await browser.newContext();
    const refused = await anonymous.request.post(`${nginx.baseUrl}/shop/order`, {
      form: { item: '43' },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(302);
    expect(refused.headers().location).toBe(
      `/waitroom/${eventId}?return_to=${encodeURIComponent(`${nginx.baseUrl}/shop/order`)}`,
    );
    await anonymous.close();

    // The checkout simulator completes the checkout (CHECKOUT_COMPLETED): the pass ends.
    const sessionId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub as string;
    await waitroom.http.waitForStatus(sessionId, 'completed', 40_000);
    const ended = Date.now();
    const again = `${nginx.baseUrl}/shop/basket`;
    await eventually(
      async () => {
        await page.goto(again);
        return new URL(page.url()).pathname;
      },
      (path) => path === `/waitroom/${eventId}`,
      5000,
      100,
    );
    expect(Date.now() - ended).toBeLessThan(2500);
    expectWaitingPage(page, again);
    await screenshot(page, 'nginx-04-pass-ended');
    await context.close();
  }, 90_000);

  it('a forged or an expired cookie sends the person to the waiting page', async () => {
    const waitroomKey = await importPKCS8(signingKeyPem, 'EdDSA');
    const { privateKey: forgerKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      user_id: 'mallory',
      sub: `${eventId}~AAAAAAAAAAAAAAAAAAAAAA`,
      aud: eventId,
      iss: 'waitroom',
    };
    const jwks = (await waitroom.http.get('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    const header = { alg: 'EdDSA', kid: jwks.keys[0].kid, typ: 'JWT' };
    const forged = await new SignJWT(claims)
      .setProtectedHeader(header)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(forgerKey);
    const expired = await new SignJWT(claims)
      .setProtectedHeader(header)
      .setIssuedAt(now - 900)
      .setExpirationTime(now - 600)
      .sign(waitroomKey);

    for (const [name, value] of [
      ['forged', forged],
      ['expired', expired],
      ['garbage', 'not-a-pass'],
    ]) {
      const context = await browser.newContext({ locale: 'en-US' });
      await context.addCookies([{ name: 'waitroom_pass', value, url: nginx.baseUrl }]);
      const page = await context.newPage();
      const asked = `${nginx.baseUrl}/shop/${name}`;
      await page.goto(asked);
      expectWaitingPage(page, asked);
      await page.getByRole('button', { name: /Join/ }).waitFor();
      expect(origin.seen.some((request) => request.path === `/shop/${name}`)).toBe(false);
      await context.close();
    }
  });
});
