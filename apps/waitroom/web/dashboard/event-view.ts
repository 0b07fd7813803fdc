import { byId, h } from '../shared/dom';
import { ApiError, configOf, type AdminApi, type AuditBody, type EventDetails } from './api';
import { HistoryCharts } from './charts';
import { clearError, describeError, showError } from './feedback';
import type { KeyGate } from './key-gate';
import { numberOrText } from './list-view';
import { poll } from './poller';
import { isReadOnly } from './role';

const DETAILS_REFRESH_MS = 2000;
/** Entries of the "Changes" list. */
const CHANGES_SHOWN = 20;
const ACTION_WORDS: Record<string, string> = {
  create: 'created the event',
  update: 'changed',
  sold_out: 'declared it sold out',
  delete: 'removed the event',
};

/** "capacity 10 → 20" for each change, as text nodes and code elements (never HTML). */
function describeChanges(changes: Record<string, { old: unknown; new: unknown }>): Node[] {
  const shown = (value: unknown) => (value === null || value === '' ? 'none' : JSON.stringify(value));
  const parts: Node[] = [];
  for (const [field, change] of Object.entries(changes)) {
    parts.push(
      document.createTextNode(parts.length === 0 ? ': ' : '; '),
      h('code', {}, field),
      document.createTextNode(` ${shown(change.old)} → ${shown(change.new)}`),
    );
  }
  return parts;
}
const STATE_WORDS: Record<string, string> = {
  open: 'Resumed: the event is open and admits people.',
  paused: 'Paused: joins are still accepted, nobody is admitted.',
  closed: 'Closed: joins are refused; people already queued keep their place.',
};

/** /admin/dashboard/:event_id: live numbers, the controls, and the charts of the last hour. */
export class EventView {
  private details: EventDetails | null = null;
  private charts: HistoryCharts | null = null;
  private historyEveryMs = 2000;
  private gone = false;
  private failing = false;
  private readonly numbers = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
  private readonly time = new Intl.DateTimeFormat('en', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  private readonly controlsError = byId('controls-error');
  private readonly settings = byId<HTMLFormElement>('settings-form');
  private readonly capacity = byId<HTMLInputElement>('capacity');
  private readonly rate = byId<HTMLInputElement>('rate');
  /** The branding fields: input → the config field it edits. */
  private readonly branding: [HTMLInputElement, 'display_name' | 'brand_color' | 'logo_url'][] = [
    [byId<HTMLInputElement>('display-name'), 'display_name'],
    [byId<HTMLInputElement>('brand-color'), 'brand_color'],
    [byId<HTMLInputElement>('logo-url'), 'logo_url'],
  ];
  private readonly stateButtons = ['pause', 'resume', 'close'].map((id) => byId<HTMLButtonElement>(id));
  private readonly messageForm = byId<HTMLFormElement>('message-form');
  private readonly message = byId<HTMLTextAreaElement>('message');
  private readonly soldOutButton = byId<HTMLButtonElement>('sold-out');
  private readonly soldOutDialog = byId<HTMLDialogElement>('sold-out-dialog');
  private readonly soldOutMessage = byId<HTMLTextAreaElement>('sold-out-message');
  private messageEdited = false;
  /** Fields the operator has changed since the last save: refreshes leave them alone. */
  private readonly edited = new Set<HTMLInputElement>();

  constructor(
    private readonly api: AdminApi,
    private readonly gate: KeyGate,
    private readonly eventId: string,
    private readonly announce: (message: string) => void,
  ) {
    for (const button of this.stateButtons)
      button.addEventListener('click', () => void this.setState(button.dataset.state as string));
    for (const input of [this.capacity, this.rate, ...this.branding.map(([field]) => field)])
      input.addEventListener('input', () => this.edited.add(input));
    this.settings.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.message.addEventListener('input', () => (this.messageEdited = true));
    this.messageForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.saveMessage();
    });
    // Sold out asks first: it ends every queued place, which cannot be given back.
    this.soldOutButton.addEventListener('click', () => {
      this.soldOutMessage.value = '';
      this.soldOutDialog.showModal();
    });
    byId('sold-out-cancel').addEventListener('click', () => this.soldOutDialog.close());
    byId<HTMLFormElement>('sold-out-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.soldOutDialog.close();
      void this.soldOut();
    });
  }

  start(): void {
    poll(
      this.gate,
      () => DETAILS_REFRESH_MS,
      () => this.refresh(),
    );
    // The charts measure their width, so they are made once the content is visible (a key given).
    void this.gate.ready().then(() => {
      this.charts = new HistoryCharts();
      poll(
        this.gate,
        () => this.historyEveryMs,
        () => this.pollHistory(),
      );
    });
  }

  private async refresh(): Promise<boolean> {
    try {
      this.render(await this.api.event(this.eventId));
      void this.refreshChanges();
      if (this.failing) this.announce('Connected again: the numbers are live.');
      this.failing = false;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.gone = true;
        showError(this.controlsError, error);
        this.announce(`Event ${this.eventId} does not exist any more.`);
        for (const button of [...this.stateButtons, this.soldOutButton]) button.disabled = true;
        return false;
      }
      if (!(error instanceof ApiError && error.status === 401) && !this.failing)
        this.announce(`Could not refresh the numbers. ${describeError(error).message}`);
      this.failing = true;
    }
    return true;
  }

  /** The "Changes" list: the newest entries of the event's audit log. */
  private async refreshChanges(): Promise<void> {
    let audit: AuditBody;
    try {
      audit = await this.api.audit(this.eventId, CHANGES_SHOWN);
    } catch {
      return; // refresh() reports failures
    }
    const list = byId('changes');
    const fingerprint = JSON.stringify(audit.entries);
    if (list.dataset.fingerprint === fingerprint) return;
    list.dataset.fingerprint = fingerprint;
    list.replaceChildren(
      ...audit.entries.map((entry) =>
        h(
          'li',
          {},
          h('time', { datetime: entry.at ?? '' }, entry.at ? this.time.format(new Date(entry.at)) : '–'),
          ' ',
          h('strong', { class: 'actor' }, entry.actor),
          ` ${ACTION_WORDS[entry.action] ?? entry.action}`,
          ...describeChanges(entry.changes),
        ),
      ),
    );
    byId('changes-empty').hidden = audit.entries.length > 0;
  }

  private async pollHistory(): Promise<boolean> {
    if (this.gone || !this.charts) return false;
    try {
      const history = await this.api.history(this.eventId, this.charts.last);
      // Ask about as often as samples are taken: more often finds nothing new.
      this.historyEveryMs = Math.max(1000, history.interval_seconds * 1000);
      this.charts.append(history);
    } catch {
      // refresh() reports failures; the charts just wait for the next round
    }
    return true;
  }

  private render(details: EventDetails): void {
    this.details = details;
    const s = details.stats;
    const count = (value: number | null, none = '–') => (value === null ? none : this.numbers.format(value));
    const values: Record<string, string> = {
      state: s.state,
      capacity: count(s.capacity),
      rate: count(s.admission_rate_per_minute, 'no limit'),
      observed: count(s.observed_admissions_per_minute, 'not measured'),
      queue: count(s.queue_length),
      active: count(s.active_count),
      joined: count(s.joined_total),
      admitted: count(s.admitted_total),
      completed: count(s.completed_total),
      failed: count(s.failed_total),
      expired: count(s.expired_total),
      left: count(s.left_total),
      abandoned: count(s.abandoned_total),
    };
    for (const [key, text] of Object.entries(values)) {
      const cell = byId(`n-${key}`);
      if (cell.textContent !== text) cell.textContent = text;
    }
    byId('n-state').className = `state state-${s.state}`;
    const accuracy = byId('estimate-accuracy');
    const accuracyText = estimateAccuracyText(details.estimate_accuracy, this.numbers);
    if (accuracy.textContent !== accuracyText) accuracy.textContent = accuracyText;
    byId('updated-at').textContent = this.time.format(new Date());
    // The button of the current state is disabled: it would change nothing.
    for (const button of this.stateButtons)
      button.disabled = isReadOnly() || button.dataset.state === details.state;
    if (!this.edited.has(this.capacity) && document.activeElement !== this.capacity)
      this.capacity.value = String(details.capacity);
    if (!this.edited.has(this.rate) && document.activeElement !== this.rate)
      this.rate.value =
        details.admission_rate_per_minute === null ? '' : String(details.admission_rate_per_minute);
    for (const [input, field] of this.branding)
      if (!this.edited.has(input) && document.activeElement !== input) input.value = details[field] ?? '';
    if (!this.messageEdited && document.activeElement !== this.message)
      this.message.value = details.message ?? '';
    byId('sold-out-count').textContent = `${this.numbers.format(s.queue_length)} now`;
  }

  private async saveMessage(): Promise<void> {
    const text = this.message.value.trim();
    const saved = await this.put(
      { message: text === '' ? null : text },
      text === ''
        ? 'Message removed from the waiting pages.'
        : 'Message saved: the waiting pages show it within seconds.',
    );
    if (saved) this.messageEdited = false;
  }

  private async soldOut(): Promise<void> {
    clearError(this.controlsError);
    const text = this.soldOutMessage.value.trim();
    this.soldOutButton.setAttribute('aria-disabled', 'true');
    try {
      const result = await this.api.soldOut(this.eventId, text === '' ? null : text);
      this.announce(
        `Sold out: the event is closed and ${this.numbers.format(result.ended_sessions)} queued ${result.ended_sessions === 1 ? 'place' : 'places'} ended.`,
      );
      this.messageEdited = false;
      await this.refresh();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(this.controlsError, error, true);
    } finally {
      this.soldOutButton.removeAttribute('aria-disabled');
    }
  }

  /** Pause, Resume, Close: PUT the current config with the new state (PUT replaces it all). */
  private async setState(state: string): Promise<void> {
    await this.put({ state }, STATE_WORDS[state] ?? `State: ${state}.`);
  }

  private async save(): Promise<void> {
    const rate = this.rate.value.trim();
    const saved = await this.put(
      {
        capacity: numberOrText(this.capacity.value),
        admission_rate_per_minute: rate === '' ? null : numberOrText(rate),
        // Empty is none; anything else goes as typed, for the API to accept or explain.
        ...Object.fromEntries(
          this.branding.map(([input, field]) => [
            field,
            input.value.trim() === '' ? null : input.value.trim(),
          ]),
        ),
      },
      'Saved: capacity, admission rate and branding updated.',
    );
    if (saved) this.edited.clear();
  }

  private async put(changes: Record<string, unknown>, done: string): Promise<boolean> {
    clearError(this.controlsError);
    if (!this.details) {
      showError(this.controlsError, new Error('The event has not loaded yet; try again in a moment.'), true);
      return false;
    }
    const controls = [...this.stateButtons, ...Array.from(this.settings.querySelectorAll('button'))];
    for (const control of controls) control.setAttribute('aria-disabled', 'true');
    try {
      const body = { ...configOf(this.details), ...changes };
      // A field left empty goes as undefined, so the API names it as missing.
      this.details = { ...this.details, ...(await this.api.putEvent(this.eventId, body)) };
      this.announce(done);
      await this.refresh();
      return true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(this.controlsError, error, true);
      return false;
    } finally {
      for (const control of controls) control.removeAttribute('aria-disabled');
    }
  }
}

/**
 * How far off the waits told at join were, for the people admitted so far who were told one: the
 * share within 25% of the wait they had (the yardstick for the median person) and 50%.
 */
export function estimateAccuracyText(
  accuracy: EventDetails['estimate_accuracy'],
  numbers: Intl.NumberFormat,
): string {
  const told = accuracy.admitted_with_estimate;
  if (told === 0)
    return 'Estimated waits: not measured yet (nobody admitted so far was told a wait at join).';
  const share = (count: number) => `${Math.round((count / told) * 100)}%`;
  return (
    `Estimated waits told at join: ${share(accuracy.within_25_percent)} within 25% of the actual wait, ` +
    `${share(accuracy.within_50_percent)} within 50% (${numbers.format(told)} admitted).`
  );
}
