import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { QueueError } from '../queue/queue-errors';
import { EVENT_ID_PATTERN } from '../queue/session-id';
import { EventService } from '../queue/event.service';
import { pageContentSecurityPolicy } from '../http/response-headers';
import { MAX_IDENTITY_TOKEN_LENGTH } from '../identity/identity-tokens';
import { brandAccent } from './brand';
import { escapeHtml, fill, renderShell } from './html';
import { pickLanguage } from './language';
import { allowedReturnTo } from './return-to';
import {
  LANGUAGE_NAMES,
  WAITING_LANGUAGES,
  WAITING_STRINGS,
  type WaitingLanguage,
  type WaitingPageConfig,
  type WaitingStrings,
} from './waiting-page.messages';
import { WebAssets } from './web-assets';

const API_BASE = '/api/v1/waitroom';
const MAX_USER_ID_LENGTH = 128;

/**
 * The waiting page a person opens: GET /waitroom/:event_id. The server renders the shell in the
 * chosen language (title, heading, join button) with the event's checkout_url, which only the
 * admin API shows, in a JSON element; web/waiting/main.ts then joins and follows the session.
 */
@ApiExcludeController()
@Controller('waitroom')
export class WaitingPageController {
  constructor(
    private readonly events: EventService,
    private readonly assets: WebAssets,
  ) {}

  @Get(':event_id')
  async page(
    @Param('event_id') eventId: string,
    @Query('lang') langQuery: unknown,
    @Query('user_id') userIdQuery: unknown,
    @Query('return_to') returnToQuery: unknown,
    @Query('identity_token') identityTokenQuery: unknown,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const lang = pickLanguage(WAITING_LANGUAGES, langQuery, acceptLanguage);
    const t = WAITING_STRINGS[lang];
    const userId =
      typeof userIdQuery === 'string' && userIdQuery.length >= 1 && userIdQuery.length <= MAX_USER_ID_LENGTH
        ? userIdQuery
        : null;
    // The page depends on the query and the language header, and holds the current config.
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('vary', 'accept-language');

    let event: {
      state: string;
      checkout_url: string | null;
      bot_check: string;
      bot_check_max_number: number;
      gate_origins: string[];
      message: string | null;
      display_name: string | null;
      brand_color: string | null;
      logo_url: string | null;
    } | null = null;
    if (eventId.length <= 64 && EVENT_ID_PATTERN.test(eventId)) {
      try {
        event = await this.events.eventDetails(eventId);
      } catch (error) {
        if (!(error instanceof QueueError && error.code === 'EVENT_NOT_FOUND')) {
          // Store unavailable (or worse): a page that says so, never a JSON error or a hang.
          void reply.status(503).header('retry-after', '5');
          return void reply.send(this.messagePage(lang, t, eventId, t.error_heading, t.unavailable_page));
        }
      }
    }
    if (!event) {
      void reply.status(404);
      return void reply.send(
        this.messagePage(lang, t, eventId, t.not_found_heading, fill(t.not_found_text, { event: eventId })),
      );
    }

    // An identity token vouches for the user id it came with: without one, it has nothing to say.
    const identityToken =
      userId !== null &&
      typeof identityTokenQuery === 'string' &&
      identityTokenQuery.length > 0 &&
      identityTokenQuery.length <= MAX_IDENTITY_TOKEN_LENGTH
        ? identityTokenQuery
        : null;
    // The logo's origin, and no other, may serve images to this page.
    if (event.logo_url)
      void reply.header('content-security-policy', pageContentSecurityPolicy(new URL(event.logo_url).origin));
    const brand = { name: event.display_name, logo: event.logo_url };
    const config: WaitingPageConfig = {
      lang,
      event_id: eventId,
      brand: event.brand_color ? brandAccent(event.brand_color) : null,
      event_state: event.state,
      checkout_url: event.checkout_url,
      return_to: allowedReturnTo(returnToQuery, event.checkout_url, event.gate_origins),
      user_id: userId,
      identity_token: identityToken,
      api_base: API_BASE,
      bot_check: this.botCheck(event),
      strings: t,
    };
    // The language links keep what the page was opened with.
    const kept = {
      ...(config.return_to ? { return_to: config.return_to } : {}),
      ...(identityToken ? { identity_token: identityToken } : {}),
    };
    const body = `${this.header(lang, t, eventId, userId, true, kept, brand)}
<main id="main" class="card" aria-labelledby="view-heading">
  ${this.messageBox(t, event.message)}
  <div id="view" class="view">
    <h2 id="view-heading" tabindex="-1">${escapeHtml(t.join)}</h2>
    <p>${escapeHtml(t.intro)}</p>
    <button type="button" id="join" class="button button-primary" disabled>${escapeHtml(t.join)}</button>
    <noscript><p class="notice">${escapeHtml(t.noscript)}</p></noscript>
  </div>
  <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
</main>`;
    return void reply.send(
      renderShell({
        lang,
        title: event.display_name
          ? `${event.display_name} · ${t.heading}`
          : fill(t.title, { event: eventId }),
        assets: this.assets.of('waiting'),
        body,
        config,
      }),
    );
  }

  /**
   * The operator's message (plain text, escaped: never HTML), rendered with the page so it shows
   * at once; the script keeps it current from every session body (event_message).
   */
  private messageBox(t: WaitingStrings, message: string | null): string {
    return `<section id="event-message" class="event-message" aria-labelledby="event-message-label"${message ? '' : ' hidden'}>
    <h2 id="event-message-label" class="event-message-label">${escapeHtml(t.message_label)}</h2>
    <p id="event-message-text">${escapeHtml(message ?? '')}</p>
  </section>`;
  }

  /** What the page needs to solve the event's proof of work in a worker (web/pow-solver), if any. */
  private botCheck(event: {
    bot_check: string;
    bot_check_max_number: number;
  }): WaitingPageConfig['bot_check'] {
    const solver = this.assets.of('pow-solver')?.js;
    if (event.bot_check !== 'proof_of_work' || !solver) return null;
    return { solver_url: solver, max_number: event.bot_check_max_number };
  }

  /** The 404 and 503 pages: the same header, one message, no script. */
  private messagePage(
    lang: WaitingLanguage,
    t: WaitingStrings,
    eventId: string,
    heading: string,
    text: string,
  ): string {
    const assets = this.assets.of('waiting');
    return renderShell({
      lang,
      title: `${heading} · ${t.heading}`,
      // The stylesheet only: these pages have nothing to run.
      assets: assets && { js: null, css: assets.css },
      body: `${this.header(lang, t, eventId, null, false)}
<main id="main" class="card" aria-labelledby="view-heading">
  <h2 id="view-heading">${escapeHtml(heading)}</h2>
  <p>${escapeHtml(text)}</p>
</main>`,
    });
  }

  private header(
    lang: WaitingLanguage,
    t: WaitingStrings,
    eventId: string,
    userId: string | null,
    showEvent = true,
    kept: Record<string, string> = {},
    brand: { name: string | null; logo: string | null } = { name: null, logo: null },
  ): string {
    const links = WAITING_LANGUAGES.map((code) => {
      const query = new URLSearchParams({ lang: code });
      if (userId) query.set('user_id', userId);
      for (const [name, value] of Object.entries(kept)) query.set(name, value);
      const href = `/waitroom/${encodeURIComponent(eventId)}?${query.toString()}`;
      const current = code === lang ? ' aria-current="true"' : '';
      return `<li><a href="${escapeHtml(href)}" lang="${code}" hreflang="${code}"${current}>${escapeHtml(LANGUAGE_NAMES[code])}</a></li>`;
    }).join('');
    const event = showEvent
      ? `<p class="event"><span class="event-label">${escapeHtml(t.event_label)}:</span> <strong>${escapeHtml(eventId)}</strong></p>`
      : '';
    // The logo's alt text is the display name (the event id without one): it names the sale.
    const logo = brand.logo
      ? `<img class="brand-logo" src="${escapeHtml(brand.logo)}" alt="${escapeHtml(brand.name ?? eventId)}">`
      : '';
    return `<header class="page-header">
  ${logo}<h1>${escapeHtml(brand.name ?? t.heading)}</h1>
  ${event}
  <nav aria-label="${escapeHtml(t.language_label)}"><ul class="languages">${links}</ul></nav>
</header>`;
  }
}
