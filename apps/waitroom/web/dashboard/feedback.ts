import { h } from '../shared/dom';
import { ApiError } from './api';

/** A sentence for any failure: the API's message with its reasons, or what went wrong. */
export function describeError(error: unknown): { message: string; details: string[] } {
  if (error instanceof ApiError) {
    const message = /[.!?]$/.test(error.message) ? error.message : `${error.message}.`;
    return { message: `${capitalize(message)} (${error.status} ${error.code})`, details: error.errors };
  }
  if (error instanceof Error) return { message: error.message, details: [] };
  return { message: String(error), details: [] };
}

/**
 * Fills an error box (role="alert", hidden when empty) with the API's words; `focus` moves focus
 * to it, as after a failed form submit, so keyboard and screen-reader users land on the reasons.
 */
export function showError(box: HTMLElement, error: unknown, focus = false): void {
  const { message, details } = describeError(error);
  box.replaceChildren(h('p', { class: 'error-title' }, message));
  if (details.length > 0) box.append(h('ul', {}, ...details.map((detail) => h('li', {}, detail))));
  box.hidden = false;
  if (focus) box.focus();
}

export function clearError(box: HTMLElement): void {
  box.hidden = true;
  box.replaceChildren();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
