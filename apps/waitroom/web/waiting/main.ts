import './style.css';
import type { WaitingPageConfig, WaitingStrings } from '../../src/pages/waiting-page.messages';
import { Announcer, byId, fill, h, readPageConfig } from '../shared/dom';
import { drawNumber, fetchDraw, type DrawInfo } from './draw';
import { SessionFeed } from './feed';
import { ProofFailed, ProofOfWork } from './proof';
import { checkoutHref, loadSaved, save, forget, userIdFor, type SavedSession } from './storage';
import type { ApiError, EventNotice, SessionView } from './types';

/**
 * The waiting page: join with one button, then follow the session live (SessionFeed: the stream,
 * polling when it breaks) until it is ready (the checkout link) or ends. The session id is kept
 * per event in localStorage, so a reload resumes the same place without joining again.
 */

const config = readPageConfig<WaitingPageConfig>();
// The event's accent, through the CSSOM (the CSP allows no inline style in the markup).
if (config.brand) {
  const root = document.documentElement.style;
  root.setProperty('--primary', config.brand.accent);
  root.setProperty('--primary-hover', config.brand.hover);
  root.setProperty('--on-primary', config.brand.onAccent);
}
const t: WaitingStrings = config.strings;
const api = config.api_base;
const view = byId('view');
const announcer = new Announcer(byId('announcer'));
const numbers = new Intl.NumberFormat(config.lang);
const userId = userIdFor(config.user_id);

let feed: SessionFeed | null = null;
let saved: SavedSession | null = loadSaved(config.event_id, userId);
let shownStatus: string | null = null;
let announcedPosition: number | null = null;
/** The position last shown, to notice a rise (which the page explains). */
let shownPosition: number | null = null;
/** The event's pre-queue draw: undefined until asked, null if it has none. */
let draw: DrawInfo | null | undefined;
let drawTimer: number | undefined;
let retryTimer: number | undefined;
/** How often a page that follows no session asks for the event's notice (state and message). */
const NOTICE_EVERY_MS = 4000;
let noticeTimer: number | undefined;
/** The view the notice may replace: the join offer (the event closed) or the closed notice (reopened). */
let noticeView: 'idle' | 'closed' | null = null;
/** The event's bot check (proof of work), if it has one: solved in a worker while the person reads. */
const proof = config.bot_check
  ? new ProofOfWork({
      challengeUrl: `${api}/events/${encodeURIComponent(config.event_id)}/challenge`,
      solverUrl: config.bot_check.solver_url,
      maxNumber: config.bot_check.max_number,
      progress: showProofProgress,
      unavailable: () => showProofStatus(t.pow_unavailable),
    })
  : null;

// ---------------------------------------------------------------- rendering

/** Replaces the view; `focus` moves focus to the element given (or the new heading). */
function render(children: Node[], focus: HTMLElement | 'heading' | null = null): void {
  view.replaceChildren(...children);
  const target = focus === 'heading' ? view.querySelector<HTMLElement>('#view-heading') : focus;
  target?.focus();
}

function heading(text: string): HTMLHeadingElement {
  return h('h2', { id: 'view-heading', tabindex: -1 }, text);
}

function joinButton(label: string): HTMLButtonElement {
  const button = h('button', { type: 'button', id: 'join', class: 'button button-primary' }, label);
  button.addEventListener('click', () => void join(button));
  return button;
}

function showIdle(): void {
  const button = joinButton(t.join);
  render([heading(t.join), h('p', {}, t.intro), ...proofCheck(button), button]);
  noticeView = 'idle';
}

/**
 * While the page follows no session (before joining, closed, ended), the event's message and
 * state come from GET /events/:id/notice now and then (answered from the snapshot polls share):
 * the message is kept current, the join offer turns into the closed notice and back.
 */
function watchNotice(): void {
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => void checkNotice(), NOTICE_EVERY_MS);
}

async function checkNotice(): Promise<void> {
  if (!feed) {
    try {
      const response = await request('GET', `/events/${encodeURIComponent(config.event_id)}/notice`);
      if (response.ok && !feed) {
        const notice = (await response.json()) as EventNotice;
        showEventMessage(notice.message);
        if (noticeView === 'idle' && notice.state === 'closed') showClosed();
        else if (noticeView === 'closed' && notice.state !== 'closed') showIdle();
      }
    } catch {
      // no network: the next round
    }
  }
  watchNotice();
}

/**
 * With a bot check: its status and progress above a Join button that is enabled once the proof
 * is solved (in a worker, meanwhile). Without one: nothing.
 */
function proofCheck(button: HTMLButtonElement): Node[] {
  if (!proof) return [];
  button.disabled = true;
  button.setAttribute('aria-describedby', 'pow-status');
  const enable = (status: string) => {
    button.disabled = false;
    showProofStatus(status);
    announcer.say(status);
  };
  proof.prepare().then(
    () => enable(t.pow_done),
    () => enable(t.pow_failed),
  );
  return [
    h('p', { id: 'pow-status', class: 'help' }, t.pow_checking),
    h('label', { for: 'pow-progress', class: 'progress-label' }, t.pow_progress_label),
    h('progress', { id: 'pow-progress', max: 100, value: 0, 'aria-describedby': 'pow-help' }),
    h('p', { id: 'pow-help', class: 'muted' }, t.pow_help),
  ];
}

function showProofStatus(text: string): void {
  const status = document.getElementById('pow-status');
  if (status) status.textContent = text;
}

/** The check's progress where it is shown: the idle view's bar, or the busy Join button. */
function showProofProgress(done: number): void {
  const percent = Math.round(done * 100);
  const bar = document.getElementById('pow-progress') as HTMLProgressElement | null;
  if (bar) {
    bar.value = percent;
    bar.setAttribute('aria-valuetext', `${percent} %`);
  }
  if (done < 1) showProofStatus(fill(t.pow_checking_percent, { percent }));
  const button = document.getElementById('join') as HTMLButtonElement | null;
  if (button?.dataset.checking) button.textContent = fill(t.pow_checking_percent, { percent });
}

/**
 * POST /join, with a proof of work when the event asks for one. A proof refused as invalid
 * (expired while the person waited, say) is replaced by a freshly solved one, once.
 */
async function postJoin(button: HTMLButtonElement): Promise<Response> {
  const send = (altcha: string | null) =>
    request('POST', '/join', {
      user_id: userId,
      event_id: config.event_id,
      ...(altcha === null ? {} : { altcha }),
      ...(config.identity_token === null ? {} : { identity_token: config.identity_token }),
    });
  if (!proof) return send(null);
  const solved = async (fresh: boolean) => {
    button.dataset.checking = '1';
    button.textContent = t.pow_checking;
    try {
      return await proof.take(fresh);
    } finally {
      delete button.dataset.checking;
      button.textContent = t.joining;
    }
  };
  const response = await send(await solved(false));
  if (response.status !== 403) return response;
  const error = (await response
    .clone()
    .json()
    .catch(() => null)) as ApiError | null;
  return error?.code === 'PROOF_INVALID' ? send(await solved(true)) : response;
}

/** An end state or a problem: heading, text and an optional action; focus goes to the heading. */
function showMessage(
  title: string,
  text: string,
  action?: HTMLElement,
  tone: 'info' | 'problem' = 'info',
): void {
  stopFollowing();
  render(
    [
      heading(title),
      h('p', { class: tone === 'problem' ? 'notice' : null }, text),
      ...(action ? [action] : []),
    ],
    'heading',
  );
  announcer.say(`${title}. ${text}`);
}

function formatWait(seconds: number | null): string {
  if (seconds === null) return t.wait_unknown;
  if (seconds < 60) return t.wait_under_minute;
  const duration =
    seconds < 3600
      ? new Intl.NumberFormat(config.lang, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(
          Math.ceil(seconds / 60),
        )
      : new Intl.NumberFormat(config.lang, {
          style: 'unit',
          unit: 'hour',
          unitDisplay: 'long',
          maximumFractionDigits: 1,
        }).format(Math.round(seconds / 360) / 10);
  return fill(t.wait_about, { duration });
}

function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(config.lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** How far the bar goes while queued: the front of the queue; the rest is the admission itself. */
const AT_THE_FRONT = 95;

/** Share of the way from the first known position to the front, 0..100. */
function progressOf(session: SessionView): number {
  if (session.status !== 'queued' || session.position === null) return 100;
  const start = Math.max(saved?.start_position ?? session.position, session.position);
  // First seen at place 1: already at the front, not at the start of the way.
  if (start <= 1) return AT_THE_FRONT;
  return Math.round(((start - session.position) / (start - 1)) * AT_THE_FRONT);
}

/** The queued view is built once and then updated in place, so focus and reading position stay put. */
function showQueued(session: SessionView, justJoined: boolean): void {
  let dl = view.querySelector<HTMLElement>('#queue-facts');
  if (!dl || shownStatus !== 'queued') {
    const leave = h('button', { type: 'button', class: 'button', id: 'leave' }, t.leave);
    leave.addEventListener('click', () => confirmLeave());
    dl = h(
      'dl',
      { id: 'queue-facts', class: 'facts' },
      h('div', {}, h('dt', {}, t.status_label), h('dd', { id: 'status' }, t.status_queued)),
      h('div', {}, h('dt', {}, t.position_label), h('dd', { id: 'position', class: 'big' })),
      h('div', {}, h('dt', {}, t.wait_label), h('dd', { id: 'wait' })),
    );
    render(
      [
        heading(t.status_queued),
        dl,
        h('label', { for: 'progress', id: 'progress-label', class: 'progress-label' }, t.progress_label),
        h('progress', { id: 'progress', max: 100, value: 0 }),
        h('p', { id: 'rise-note', class: 'notice', hidden: true }),
        h('p', { class: 'help' }, t.queued_help),
        h('div', { id: 'draw-note', class: 'help draw-note', hidden: true }),
        h('p', { id: 'live-note', class: 'muted', hidden: true }, t.live_paused),
        leave,
      ],
      justJoined ? 'heading' : null,
    );
    shownPosition = null;
    void showDraw(session);
  }
  const position = session.position ?? 0;
  byId('position').textContent = fill(t.position_value, {
    position: numbers.format(position),
    queue_length: numbers.format(Math.max(session.queue_length, position)),
  });
  byId('wait').textContent = formatWait(session.estimated_wait_seconds);
  const progress = byId<HTMLProgressElement>('progress');
  progress.value = progressOf(session);
  progress.setAttribute('aria-valuetext', `${progress.value} %`);
  const rose = shownPosition !== null && position > shownPosition;
  // The reason stays until the place moves forward again.
  if (shownPosition !== null && position < shownPosition) byId('rise-note').hidden = true;
  shownPosition = position;
  if (rose) explainRise(position);
  if (justJoined) {
    announcer.say(fill(t.announce_joined, { position: numbers.format(position) }));
    announcedPosition = position;
  } else if (!rose && meaningfulMove(announcedPosition, position)) {
    announcer.say(fill(t.announce_position, { position: numbers.format(position) }));
    announcedPosition = position;
  }
}

/**
 * A place only moves back when someone lands ahead: a priority guest, or before a shuffled
 * opening someone drawn ahead (README "Position never goes up"). Said on the page and aloud.
 */
function explainRise(position: number): void {
  const opensAt = draw?.opens_at ? Date.parse(draw.opens_at) : null;
  const beforeDraw = opensAt !== null && Date.now() < opensAt;
  const note = byId('rise-note');
  note.textContent = beforeDraw ? t.position_rose_draw : t.position_rose_priority;
  note.hidden = false;
  announcer.say(`${note.textContent} ${fill(t.announce_position, { position: numbers.format(position) })}`);
}

/**
 * The draw note of a shuffled event: before opening the commitment (places are provisional),
 * from opening on the person's own draw number and the seed to check it with.
 */
async function showDraw(session: SessionView): Promise<void> {
  window.clearTimeout(drawTimer);
  if (draw === undefined || (draw && !draw.seed)) draw = await fetchDraw(api, config.event_id);
  const note = document.getElementById('draw-note');
  if (!draw || !note || !draw.opens_at) return;
  const opensAt = Date.parse(draw.opens_at);
  const joinedBefore = session.joined_at !== null && Date.parse(session.joined_at) < opensAt;
  if (!draw.seed) {
    note.replaceChildren(
      h('p', {}, fill(t.draw_pending, { time: formatTime(draw.opens_at) })),
      h('code', { class: 'fingerprint' }, draw.seed_commitment),
    );
    note.hidden = false;
    // Ask again just after the opening (spread over a few seconds), when the seed is public.
    const delay = Math.max(0, opensAt - Date.now()) + 500 + Math.random() * 3000;
    drawTimer = window.setTimeout(() => void showDraw(session), Math.min(delay, 2 ** 31 - 1));
    return;
  }
  const number = joinedBefore ? await drawNumber(draw.seed, session.user_id) : null;
  if (number === null) {
    note.hidden = true;
    return;
  }
  note.replaceChildren(
    h('p', { id: 'draw-number' }, fill(t.draw_revealed, { draw: numbers.format(number) })),
    h('code', { class: 'fingerprint' }, draw.seed),
  );
  note.hidden = false;
}

/**
 * Says a new position only when it matters: near the front every step, further back once it has
 * moved by a tenth (at least 5 places), so a screen reader is not talking on every tick.
 */
function meaningfulMove(previous: number | null, next: number): boolean {
  if (previous === null) return true;
  if (next === previous) return false;
  if (next <= 10) return true;
  return Math.abs(previous - next) >= Math.max(5, Math.round(previous / 10));
}

function showReady(session: SessionView): void {
  const token = session.admission_token ?? '';
  const text = fill(t.ready_text, { time: formatTime(session.expires_at) });
  let focus: HTMLElement;
  const parts: Node[] = [heading(t.status_ready), h('p', {}, text)];
  // return_to was checked by the server against the event's origins (pages/return-to.ts).
  const destination = config.return_to ?? config.checkout_url;
  const href = destination && token ? checkoutHref(destination, token) : null;
  if (href) {
    focus = h('a', { href, id: 'checkout', class: 'button button-primary checkout' }, t.checkout_link);
    parts.push(focus);
  } else {
    const field = h('input', {
      type: 'text',
      id: 'token',
      readonly: true,
      value: token,
      'aria-describedby': 'token-help',
    });
    const copy = h('button', { type: 'button', class: 'button', id: 'copy' }, t.copy);
    const copied = h('span', { class: 'muted', role: 'status' });
    copy.addEventListener('click', () => void copyToken(field, copied));
    field.addEventListener('focus', () => field.select());
    parts.push(
      h('label', { for: 'token' }, t.token_label),
      field,
      h('p', { id: 'token-help', class: 'help' }, t.token_help),
      h('div', { class: 'actions' }, copy, copied),
    );
    focus = field;
  }
  const leave = h('button', { type: 'button', class: 'button', id: 'leave' }, t.leave);
  leave.addEventListener('click', () => confirmLeave());
  parts.push(h('div', { class: 'actions' }, leave));
  render(parts, focus);
  announcer.say(t.announce_ready);
}

async function copyToken(field: HTMLInputElement, note: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    // No clipboard API (plain http, old browser): the selection lets the person copy by hand.
    field.select();
  }
  note.textContent = t.copied;
}

/** One session body from GET, the stream or a join: show what it says. */
function show(session: SessionView, justJoined = false): void {
  const previous = shownStatus;
  // A join's reply does not carry the event's message: the page keeps the one it shows.
  if (!justJoined) showEventMessage(session.event_message);
  if (session.status === 'queued') {
    showQueued(session, justJoined);
  } else if (session.status === 'ready') {
    if (previous !== 'ready') showReady(session);
  } else {
    showEnd(session.status, session.left_reason);
  }
  shownStatus = session.status;
}

/**
 * The operator's message, above the view: set as text (never HTML), said aloud when it changes
 * while the page is open. Hidden when there is none.
 */
function showEventMessage(message: string | null | undefined): void {
  const box = byId('event-message');
  const text = byId('event-message-text');
  const next = message ?? '';
  if (text.textContent === next && box.hidden === (next === '')) return;
  text.textContent = next;
  box.hidden = next === '';
  if (next) announcer.say(`${t.message_label}: ${next}`);
}

function showEnd(status: string, reason: string | null = null): void {
  const again = () => joinButton(t.join_again);
  switch (status) {
    case 'left':
      // Sold out: the event is closed, so there is nothing to join again.
      if (reason === 'sold_out') return showMessage(t.sold_out_heading, t.sold_out_text);
      return showMessage(t.left_heading, t.left_text, again());
    case 'expired':
      return showMessage(t.expired_heading, t.expired_text, again());
    case 'abandoned':
      return showMessage(t.abandoned_heading, t.abandoned_text, again());
    case 'completed':
      return showMessage(t.completed_heading, t.completed_text);
    case 'failed':
      return showMessage(t.failed_heading, t.failed_text, again());
    default:
      return showMessage(t.error_heading, fill(t.error_text, { detail: status }), again(), 'problem');
  }
}

// ---------------------------------------------------------------- actions

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
}

async function join(button: HTMLButtonElement): Promise<void> {
  window.clearTimeout(retryTimer);
  noticeView = null;
  button.disabled = true;
  button.textContent = t.joining;
  let response: Response;
  try {
    response = await postJoin(button);
  } catch (error) {
    if (error instanceof ProofFailed)
      return showMessage(t.error_heading, t.pow_failed, joinButton(t.try_again), 'problem');
    return showUnavailable(5, () => showIdle());
  }
  if (response.status === 200 || response.status === 201) {
    const session = (await response.json()) as SessionView;
    saved = { session_id: session.session_id, user_id: userId, start_position: session.position ?? 1 };
    save(config.event_id, saved);
    shownStatus = null;
    show(session, true);
    follow(session);
    return;
  }
  const error = (await response.json().catch(() => null)) as ApiError | null;
  const retryAfter = Number(response.headers.get('retry-after') ?? '5') || 5;
  if (response.status === 409) return showClosed();
  if (response.status === 404)
    return showMessage(t.not_found_heading, fill(t.not_found_text, { event: config.event_id }));
  if (response.status === 429) return showRateLimited(retryAfter);
  if (response.status === 503) return showUnavailable(retryAfter, () => void join(joinButton(t.join)));
  showMessage(
    t.error_heading,
    fill(t.error_text, { detail: error?.message ?? String(response.status) }),
    joinButton(t.try_again),
    'problem',
  );
}

function showClosed(): void {
  const check = h('button', { type: 'button', class: 'button' }, t.check_again);
  check.addEventListener('click', () => window.location.reload());
  showMessage(t.closed_heading, t.closed_text, check);
  noticeView = 'closed';
}

function showRateLimited(seconds: number): void {
  const at = new Date(Date.now() + seconds * 1000);
  const time = new Intl.DateTimeFormat(config.lang, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(at);
  const button = joinButton(t.try_again);
  button.disabled = true;
  showMessage(
    t.rate_limited_heading,
    fill(t.rate_limited_text, { time, seconds: numbers.format(seconds) }),
    button,
    'problem',
  );
  retryTimer = window.setTimeout(() => {
    button.disabled = false;
  }, seconds * 1000);
}

/** Store unavailable (503) or no network: count down, then try again by itself. */
function showUnavailable(seconds: number, retry: () => void): void {
  showMessage(
    t.unavailable_heading,
    fill(t.unavailable_text, { seconds: numbers.format(seconds) }),
    undefined,
    'problem',
  );
  retryTimer = window.setTimeout(retry, seconds * 1000);
}

function confirmLeave(): void {
  const dialog = byId<HTMLDialogElement>('leave-dialog');
  dialog.showModal();
}

async function leave(): Promise<void> {
  if (!saved) return;
  try {
    const response = await request('DELETE', `/sessions/${encodeURIComponent(saved.session_id)}`);
    if (!response.ok && response.status !== 404) throw new Error(String(response.status));
  } catch {
    return showUnavailable(5, () => void leave());
  }
  stopFollowing();
  forget(config.event_id);
  saved = null;
  shownStatus = 'left';
  showEnd('left');
}

function buildLeaveDialog(): void {
  const stay = h(
    'button',
    { type: 'button', class: 'button button-primary', value: 'stay', autofocus: true },
    t.leave_confirm_no,
  );
  const yes = h(
    'button',
    { type: 'button', class: 'button button-danger', value: 'leave' },
    t.leave_confirm_yes,
  );
  const dialog = h(
    'dialog',
    { id: 'leave-dialog', 'aria-labelledby': 'leave-title', 'aria-describedby': 'leave-text' },
    h('h2', { id: 'leave-title' }, t.leave_confirm_title),
    h('p', { id: 'leave-text' }, t.leave_confirm_text),
    h('div', { class: 'actions' }, stay, yes),
  );
  stay.addEventListener('click', () => dialog.close());
  yes.addEventListener('click', () => {
    dialog.close();
    void leave();
  });
  document.body.append(dialog);
}

// ---------------------------------------------------------------- following a session

function follow(session: SessionView): void {
  stopFollowing();
  if (session.status !== 'queued' && session.status !== 'ready') return;
  feed = new SessionFeed(`${api}/sessions/${encodeURIComponent(session.session_id)}`, {
    update: (next) => {
      show(next);
      if (next.status !== 'queued' && next.status !== 'ready') stopFollowing();
    },
    gone: () => {
      forget(config.event_id);
      saved = null;
      showMessage(t.session_lost_heading, t.session_lost_text, joinButton(t.join_again));
    },
    live: (isLive) => {
      const note = document.getElementById('live-note');
      if (note) note.hidden = isLive;
    },
  });
  feed.start();
}

function stopFollowing(): void {
  feed?.stop();
  feed = null;
  window.clearTimeout(drawTimer);
}

/** On load: resume a kept session (a reload), else offer to join. */
async function start(): Promise<void> {
  if (!saved) {
    if (config.event_state === 'closed') return showClosed();
    return showIdle();
  }
  let response: Response;
  try {
    response = await request('GET', `/sessions/${encodeURIComponent(saved.session_id)}`);
  } catch {
    return showUnavailable(5, () => void start());
  }
  if (response.status === 404) {
    forget(config.event_id);
    saved = null;
    return config.event_state === 'closed' ? showClosed() : showIdle();
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('retry-after') ?? '5') || 5;
    return showUnavailable(retryAfter, () => void start());
  }
  const session = (await response.json()) as SessionView;
  show(session);
  follow(session);
}

buildLeaveDialog();
void start();
watchNotice();
