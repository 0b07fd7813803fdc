import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { QueueError } from '../queue/queue-errors';
import { EVENT_ID_PATTERN } from '../queue/session-id';
import { EventService } from '../queue/event.service';
import type { DashboardPageConfig } from './dashboard.config';
import { escapeHtml, renderShell } from './html';
import { WebAssets } from './web-assets';

const API_BASE = '/api/v1/waitroom';
const DASHBOARD_BASE = '/admin/dashboard';

/**
 * The operator dashboard: GET /admin/dashboard (every event, live, and a form to create one) and
 * GET /admin/dashboard/:event_id (one event: live numbers, controls, charts of its history).
 * The shells hold no data and need no key: the script (web/dashboard) asks for the admin key,
 * keeps it in the tab's sessionStorage and sends it as x-api-key to the admin API.
 */
@ApiExcludeController()
@Controller('admin/dashboard')
export class DashboardController {
  constructor(
    private readonly events: EventService,
    private readonly assets: WebAssets,
  ) {}

  @Get()
  list(@Res() reply: FastifyReply): void {
    const body = `<main id="main" class="dash-main" aria-labelledby="view-heading" hidden>
  <h2 id="view-heading" tabindex="-1">Events</h2>
  <p class="hint">Live numbers, refreshed every 2 seconds. Open an event for its charts and controls.</p>
  <div class="table-wrap" role="region" aria-labelledby="view-heading" tabindex="0">
    <table class="events">
      <thead>
        <tr>
          <th scope="col">Event</th><th scope="col">State</th><th scope="col">Capacity</th>
          <th scope="col">Rate / min</th><th scope="col">Queued</th><th scope="col">Active</th>
          <th scope="col">Admitted</th><th scope="col">Completed</th>
        </tr>
      </thead>
      <tbody id="events-body"></tbody>
    </table>
  </div>
  <p id="events-empty" hidden>No events yet: create one below.</p>
  ${createForm()}
</main>`;
    this.send(reply, 200, 'Events · Waitroom dashboard', body, {
      view: 'list',
      event_id: null,
      api_base: API_BASE,
      dashboard_base: DASHBOARD_BASE,
    });
  }

  @Get(':event_id')
  async event(@Param('event_id') eventId: string, @Res() reply: FastifyReply): Promise<void> {
    let exists = false;
    if (eventId.length <= 64 && EVENT_ID_PATTERN.test(eventId)) {
      try {
        await this.events.eventStats(eventId);
        exists = true;
      } catch (error) {
        if (!(error instanceof QueueError && error.code === 'EVENT_NOT_FOUND')) {
          void reply.header('retry-after', '5');
          return this.send(
            reply,
            503,
            'Unavailable · Waitroom dashboard',
            message('The service cannot reach its store right now. Reload in a few seconds.'),
          );
        }
      }
    }
    if (!exists) {
      return this.send(
        reply,
        404,
        'Unknown event · Waitroom dashboard',
        message(`There is no event ${eventId}.`),
      );
    }
    const id = escapeHtml(eventId);
    const number = (key: string, label: string) =>
      `<div class="number"><dt>${label}</dt><dd id="n-${key}">–</dd></div>`;
    const chart = (key: string, caption: string, description: string) => `
    <figure class="chart card" id="chart-${key}" data-points="0" aria-labelledby="chart-${key}-caption">
      <figcaption id="chart-${key}-caption"><strong>${caption}</strong> <span class="hint">${description}</span></figcaption>
      <div class="chart-plot"></div>
      <p class="visually-hidden chart-summary" id="chart-${key}-summary">No samples yet.</p>
    </figure>`;
    const body = `<main id="main" class="dash-main" aria-labelledby="view-heading" hidden>
  <h2 id="view-heading" tabindex="-1">Event <span class="event-id">${id}</span></h2>
  <p><a href="/waitroom/${encodeURIComponent(eventId)}">Waiting page</a> · <a href="${DASHBOARD_BASE}#create">Create another event</a></p>
  <div class="columns">
    <section class="card" aria-labelledby="numbers-heading">
      <h3 id="numbers-heading">Live numbers</h3>
      <dl class="numbers">
        ${number('state', 'State')}${number('capacity', 'Capacity')}${number('rate', 'Admission rate / min')}
        ${number('observed', 'Observed admissions / min')}${number('queue', 'Queued')}${number('active', 'Active (in checkout)')}
        ${number('joined', 'Joined')}${number('admitted', 'Admitted')}${number('completed', 'Completed')}
        ${number('failed', 'Failed')}${number('expired', 'Expired')}${number('left', 'Left')}${number('abandoned', 'Abandoned')}
      </dl>
      <p class="hint" id="estimate-accuracy">Estimated waits: not measured yet.</p>
      <p class="hint">Updated <span id="updated-at">–</span></p>
    </section>
    <section class="card" aria-labelledby="controls-heading">
      <h3 id="controls-heading">Controls</h3>
      <div id="controls-error" class="error-summary" role="alert" tabindex="-1" hidden></div>
      <div class="state-buttons" role="group" aria-labelledby="state-label">
        <p id="state-label" class="label">State</p>
        <button type="button" class="button" id="pause" data-state="paused" data-change>Pause</button>
        <button type="button" class="button" id="resume" data-state="open" data-change>Resume</button>
        <button type="button" class="button button-danger" id="close" data-state="closed" data-change>Close</button>
      </div>
      <p class="hint">Pause: joins are accepted, nobody is admitted. Close: joins are refused; people already queued keep their place. Resume: open again.</p>
      <form id="settings-form" class="form" novalidate>
        <div class="field">
          <label for="capacity">Capacity</label>
          <p class="hint" id="capacity-hint">Most people in checkout at once.</p>
          <input data-change type="number" id="capacity" name="capacity" min="1" step="1" inputmode="numeric" required aria-describedby="capacity-hint">
        </div>
        <div class="field">
          <label for="rate">Admission rate per minute</label>
          <p class="hint" id="rate-hint">Empty: no rate limit, only capacity.</p>
          <input data-change type="number" id="rate" name="rate" min="1" step="1" inputmode="numeric" aria-describedby="rate-hint">
        </div>
        <fieldset class="branding">
          <legend>Waiting page branding</legend>
          <div class="field">
            <label for="display-name">Display name</label>
            <p class="hint" id="display-name-hint">The waiting page's heading and the logo's alt text, up to 100 characters. Empty: "Waiting room".</p>
            <input data-change type="text" id="display-name" name="display-name" maxlength="100" autocomplete="off" aria-describedby="display-name-hint">
          </div>
          <div class="field">
            <label for="brand-color">Brand colour</label>
            <p class="hint" id="brand-color-hint">#rrggbb, e.g. #c2185b. The page darkens it as far as needed for readable text. Empty: the default blue.</p>
            <input data-change type="text" id="brand-color" name="brand-color" maxlength="7" autocomplete="off" spellcheck="false" aria-describedby="brand-color-hint">
          </div>
          <div class="field">
            <label for="logo-url">Logo URL</label>
            <p class="hint" id="logo-url-hint">An https:// image; the page allows images from its origin only. Empty: no logo.</p>
            <input data-change type="url" id="logo-url" name="logo-url" maxlength="2048" autocomplete="off" spellcheck="false" aria-describedby="logo-url-hint">
          </div>
        </fieldset>
        <button type="submit" class="button button-primary" data-change>Save</button>
      </form>
      <form id="message-form" class="form" novalidate>
        <div class="field">
          <label for="message">Message to everyone waiting</label>
          <p class="hint" id="message-hint">Plain text, up to 500 characters, shown on every open waiting page within seconds. Empty: no message.</p>
          <textarea data-change id="message" name="message" rows="3" maxlength="500" aria-describedby="message-hint"></textarea>
        </div>
        <button type="submit" class="button" data-change>Publish message</button>
      </form>
      <div class="sold-out">
        <button type="button" class="button button-danger" id="sold-out" data-change>Sold out</button>
        <p class="hint" id="sold-out-hint">Closes the event and ends every queued place with a sold-out notice; people in checkout keep their window. Asks for confirmation.</p>
      </div>
    </section>
  </div>
  <section class="card changes-card" aria-labelledby="changes-heading">
    <h3 id="changes-heading">Changes</h3>
    <p class="hint" id="changes-hint">Every change of this event (settings, sold out), newest first: when, by which key's name, and what changed. The last 20 are shown.</p>
    <ol id="changes" class="changes" aria-describedby="changes-hint"></ol>
    <p id="changes-empty" class="hint">No changes recorded yet.</p>
  </section>
  <dialog id="sold-out-dialog" aria-labelledby="sold-out-title" aria-describedby="sold-out-text">
    <h3 id="sold-out-title">Declare ${id} sold out?</h3>
    <p id="sold-out-text">The event closes and everyone in the queue (<span id="sold-out-count">–</span>) is told it is sold out. People in checkout keep their window. Their places cannot be given back.</p>
    <form id="sold-out-form" class="form" novalidate>
      <div class="field">
        <label for="sold-out-message">Message shown with the notice (optional)</label>
        <p class="hint" id="sold-out-message-hint">Replaces the event's message; empty keeps the current one.</p>
        <textarea id="sold-out-message" name="sold-out-message" rows="3" maxlength="500" aria-describedby="sold-out-message-hint"></textarea>
      </div>
      <div class="actions">
        <button type="button" class="button" id="sold-out-cancel" autofocus>Cancel</button>
        <button type="submit" class="button button-danger" id="sold-out-confirm">Yes, sold out</button>
      </div>
    </form>
  </dialog>
  <section aria-labelledby="charts-heading">
    <h3 id="charts-heading">The last hour</h3>
    <p class="hint" id="charts-hint">One sample per interval while the event has work; an idle event is not sampled, so its charts have gaps.</p>
    <div class="charts">${chart('queue', 'Queue length', 'people waiting')}${chart('active', 'Active sessions', 'people admitted, in checkout')}${chart('joins', 'Joins per minute', 'new places in the queue')}${chart('flow', 'Admissions and completions per minute', 'admitted (solid), checkouts completed (dashed)')}
    </div>
  </section>
</main>`;
    this.send(reply, 200, `${eventId} · Waitroom dashboard`, body, {
      view: 'event',
      event_id: eventId,
      api_base: API_BASE,
      dashboard_base: DASHBOARD_BASE,
    });
  }

  private send(
    reply: FastifyReply,
    status: number,
    title: string,
    main: string,
    config?: DashboardPageConfig,
  ): void {
    const assets = this.assets.of('dashboard');
    void reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache');
    const keyPanel = config
      ? `<section id="key-panel" class="card key-panel" aria-labelledby="key-heading" hidden>
  <h2 id="key-heading">Admin key</h2>
  <form id="key-form" class="form" novalidate>
    <div class="field">
      <label for="admin-key">Admin API key</label>
      <p class="hint" id="admin-key-hint">Kept in this browser tab only, and sent as the x-api-key header.</p>
      <input type="password" id="admin-key" name="admin-key" autocomplete="off" required aria-describedby="admin-key-hint">
    </div>
    <div id="key-error" class="error-summary" role="alert" tabindex="-1" hidden></div>
    <button type="submit" class="button button-primary">Use this key</button>
  </form>
  <noscript><p class="notice">The dashboard needs JavaScript.</p></noscript>
</section>
`
      : '';
    const body = `<header class="page-header dash-header">
  <h1 class="brand"><a href="${DASHBOARD_BASE}">Waitroom dashboard</a></h1>
  <button type="button" id="forget-key" class="button button-small" hidden>Forget key</button>
</header>
<div id="status" class="status" role="status" aria-live="polite" aria-atomic="true"></div>
<p id="role-note" class="notice" hidden>This is a read-only key: you see the numbers and the changes, but the controls are disabled. Changes need an operator key.</p>
${keyPanel}${main}`;
    void reply.send(
      renderShell({
        lang: 'en',
        title,
        // The 404 and 503 pages have nothing to run.
        assets: assets && { js: config ? assets.js : null, css: assets.css },
        body,
        config,
      }),
    );
  }
}

function message(text: string): string {
  return `<main id="main" class="card dash-main" aria-labelledby="view-heading">
  <h2 id="view-heading">${escapeHtml(text)}</h2>
  <p><a href="${DASHBOARD_BASE}">All events</a></p>
</main>`;
}

function createForm(): string {
  const field = (id: string, label: string, input: string, hint?: string) => `
      <div class="field">
        <label for="${id}">${label}</label>${hint ? `\n        <p class="hint" id="${id}-hint">${hint}</p>` : ''}
        ${input}
      </div>`;
  const number = (id: string, attributes: string) =>
    `<input type="number" id="${id}" name="${id}" step="1" inputmode="numeric" ${attributes} aria-describedby="${id}-hint">`;
  return `<section id="create" class="card" aria-labelledby="create-heading">
    <h2 id="create-heading">Create an event</h2>
    <form id="create-form" class="form" novalidate>
      ${field('new-id', 'Event id', '<input type="text" id="new-id" name="new-id" maxlength="64" autocomplete="off" spellcheck="false" required aria-describedby="new-id-hint">', 'Letters, digits and . _ : - (up to 64), e.g. concert-2024.')}
      ${field('new-capacity', 'Capacity', number('new-capacity', 'min="1" required value="100"'), 'Most people in checkout at once.')}
      ${field('new-rate', 'Admission rate per minute', number('new-rate', 'min="1"'), 'Empty: no rate limit.')}
      ${field('new-timeout', 'Checkout timeout in seconds', number('new-timeout', 'min="10" required value="600"'), 'How long an admitted person has to check out (at least 10).')}
      ${field(
        'new-state',
        'State',
        `<select id="new-state" name="new-state">
          <option value="open">Open</option><option value="paused">Paused</option><option value="closed">Closed</option>
        </select>`,
      )}
      ${field('new-checkout-url', 'Checkout URL (optional)', '<input type="url" id="new-checkout-url" name="new-checkout-url" autocomplete="off" spellcheck="false" aria-describedby="new-checkout-url-hint">', 'Where admitted people go, https:// (http:// only for localhost).')}
      <div id="create-error" class="error-summary" role="alert" tabindex="-1" hidden></div>
      <button type="submit" class="button button-primary" data-change>Create event</button>
    </form>
  </section>`;
}
