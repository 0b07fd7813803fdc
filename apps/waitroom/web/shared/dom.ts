/**
 * Tiny DOM helpers shared by the pages (no framework: see docs/decisions/0010-web-pages.md).
 * Text always goes in as textContent, never as HTML, so server data cannot inject markup.
 */

type Attributes = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

/** Creates an element: h('p', {class: 'x'}, 'text', h('strong', {}, 'bold')). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/** The element with this id, or an error naming it (the server-rendered shell must have it). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing from the page`);
  return element as T;
}

/** The JSON the server rendered into <script type="application/json" id="page-config">. */
export function readPageConfig<T>(): T {
  return JSON.parse(byId('page-config').textContent ?? 'null') as T;
}

/** Replaces `{name}` placeholders in a translated string. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/**
 * A polite live region that speaks only when told to, and says a repeated message again
 * (screen readers ignore a region whose text did not change).
 */
export class Announcer {
  private last = '';
  constructor(private readonly region: HTMLElement) {}

  say(message: string): void {
    this.region.textContent = message === this.last ? `${message}\u00a0` : message;
    this.last = message;
  }
}
