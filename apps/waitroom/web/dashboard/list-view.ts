import { byId, h } from '../shared/dom';
import { ApiError, type AdminApi, type EventDetails } from './api';
import { clearError, describeError, showError } from './feedback';
import type { KeyGate } from './key-gate';
import { poll } from './poller';

const REFRESH_MS = 2000;

/** /admin/dashboard: every event with live numbers, and the form that creates one. */
export class ListView {
  private readonly body = byId<HTMLTableSectionElement>('events-body');
  private readonly empty = byId('events-empty');
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly numbers = new Intl.NumberFormat('en');
  private failing = false;

  constructor(
    private readonly api: AdminApi,
    private readonly gate: KeyGate,
    private readonly dashboardBase: string,
    private readonly announce: (message: string) => void,
  ) {
    new CreateForm(api, dashboardBase, announce, () => this.refresh());
  }

  start(): void {
    poll(
      this.gate,
      () => REFRESH_MS,
      () => this.refresh(),
    );
  }

  private async refresh(): Promise<void> {
    try {
      const { events } = await this.api.listEvents();
      this.render(events);
      if (this.failing) this.announce('Connected again: the numbers are live.');
      this.failing = false;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      if (!this.failing) this.announce(`Could not refresh the events. ${describeError(error).message}`);
      this.failing = true;
    }
  }

  /** Updates rows in place (keyed by event id), so focus on a link survives a refresh. */
  private render(events: EventDetails[]): void {
    events.sort((a, b) => a.event_id.localeCompare(b.event_id));
    const seen = new Set<string>();
    for (const event of events) {
      seen.add(event.event_id);
      let row = this.rows.get(event.event_id);
      if (!row) {
        row = h(
          'tr',
          { 'data-event-id': event.event_id },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: `${this.dashboardBase}/${encodeURIComponent(event.event_id)}` }, event.event_id),
          ),
          ...Array.from({ length: 7 }, () => h('td', {})),
        );
        this.rows.set(event.event_id, row);
      }
      const s = event.stats;
      const cells = [
        s.state,
        this.numbers.format(s.capacity),
        s.admission_rate_per_minute === null ? 'no limit' : this.numbers.format(s.admission_rate_per_minute),
        this.numbers.format(s.queue_length),
        this.numbers.format(s.active_count),
        this.numbers.format(s.admitted_total),
        this.numbers.format(s.completed_total),
      ];
      cells.forEach((text, i) => {
        const cell = row.cells[i + 1];
        if (cell.textContent !== text) cell.textContent = text;
      });
      row.cells[1].className = `state state-${s.state}`;
      this.body.append(row); // keeps the sorted order; moving a row keeps its focus
    }
    for (const [eventId, row] of this.rows) {
      if (seen.has(eventId)) continue;
      row.remove();
      this.rows.delete(eventId);
    }
    this.empty.hidden = events.length > 0;
  }
}

/** The "Create an event" form: PUT only when the id is free, so it never overwrites an event. */
class CreateForm {
  private readonly form = byId<HTMLFormElement>('create-form');
  private readonly error = byId('create-error');
  private readonly field = <T extends HTMLElement = HTMLInputElement>(id: string) => byId<T>(id);

  constructor(
    private readonly api: AdminApi,
    private readonly dashboardBase: string,
    private readonly announce: (message: string) => void,
    private readonly refresh: () => Promise<void>,
  ) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  private async submit(): Promise<void> {
    clearError(this.error);
    const eventId = this.field('new-id').value.trim();
    if (!eventId) {
      showError(this.error, new Error('Enter an event id.'), true);
      return;
    }
    const body: Record<string, unknown> = {
      capacity: numberOrText(this.field('new-capacity').value),
      checkout_timeout_seconds: numberOrText(this.field('new-timeout').value),
      state: this.field<HTMLSelectElement>('new-state').value,
    };
    const rate = this.field('new-rate').value.trim();
    body.admission_rate_per_minute = rate === '' ? null : numberOrText(rate);
    const checkoutUrl = this.field('new-checkout-url').value.trim();
    if (checkoutUrl) body.checkout_url = checkoutUrl;
    const button = this.form.querySelector<HTMLButtonElement>('button[type="submit"]') as HTMLButtonElement;
    button.disabled = true;
    try {
      if (await this.exists(eventId)) {
        showError(
          this.error,
          new Error(
            `An event ${eventId} already exists: open it from the list to change it, or choose another id.`,
          ),
          true,
        );
        return;
      }
      await this.api.putEvent(eventId, body);
      this.form.reset();
      this.announce(`Event ${eventId} created.`);
      await this.refresh();
      // Focus its new link in the list, the natural next step.
      const link = document.querySelector<HTMLAnchorElement>(
        `a[href="${this.dashboardBase}/${CSS.escape(encodeURIComponent(eventId))}"]`,
      );
      link?.focus();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(this.error, error, true);
    } finally {
      button.disabled = false;
    }
  }

  private async exists(eventId: string): Promise<boolean> {
    try {
      await this.api.event(eventId);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && error.code === 'EVENT_NOT_FOUND') return false;
      throw error;
    }
  }
}

/**
 * A number field's value as a number when it is one, else as typed, so the API's validation
 * names what is wrong ("capacity must be an integer number") instead of the page guessing.
 */
export function numberOrText(value: string): unknown {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}
