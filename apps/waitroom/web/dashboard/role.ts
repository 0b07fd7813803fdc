import { byId } from '../shared/dom';

/** What the key in use may do, as the admin API says in its `x-admin-role` header. */
export type Role = 'operator' | 'viewer';

let readOnly = false;

/** True while the key in use is a viewer's: every control that changes something stays disabled. */
export function isReadOnly(): boolean {
  return readOnly;
}

/**
 * Applies the key's role to the page: a viewer's key disables every control marked
 * `data-change` (the API would answer 403 FORBIDDEN anyway) and says why, once.
 */
export function applyRole(role: Role, announce: (message: string) => void): void {
  const viewer = role === 'viewer';
  if (viewer === readOnly) return;
  readOnly = viewer;
  for (const control of document.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLTextAreaElement>(
    '[data-change]',
  ))
    control.disabled = viewer;
  byId('role-note').hidden = !viewer;
  if (viewer) announce('Read-only key: the controls are disabled.');
}
