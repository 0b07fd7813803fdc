import { byId } from '../shared/dom';
import { ApiError } from './api';
import { clearError, showError } from './feedback';

const STORAGE_KEY = 'waitroom.dashboard.admin-key';

/**
 * The admin key: asked once in a password field, kept in sessionStorage (this tab only, gone when
 * it closes; never in the URL), and asked again when the API refuses it (401). While there is no
 * key the dashboard's content is hidden and its pollers wait in `ready()`.
 */
export class KeyGate {
  private key: string | null = readStored();
  private waiting: ((key: string) => void)[] = [];
  private readonly panel = byId('key-panel');
  private readonly form = byId<HTMLFormElement>('key-form');
  private readonly input = byId<HTMLInputElement>('admin-key');
  private readonly error = byId('key-error');
  private readonly forget = byId<HTMLButtonElement>('forget-key');
  private readonly main = byId('main');

  constructor(
    /** Tries a key against the API; rejects with the API's error when it is refused. */
    private readonly verify: (key: string) => Promise<void>,
    private readonly announce: (message: string) => void,
  ) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.forget.addEventListener('click', () => {
      this.drop();
      this.ask(null);
      this.announce('Key forgotten. Enter it again to continue.');
    });
  }

  /** Shows the content if a key is kept, else asks for one. */
  start(): void {
    if (this.key) this.open(false);
    else this.ask(null);
  }

  current(): string | null {
    return this.key;
  }

  /** Resolves with the key once there is one. */
  ready(): Promise<string> {
    if (this.key) return Promise.resolve(this.key);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The API refused the key: forget it and ask again. */
  refused(error: ApiError): void {
    if (!this.key) return;
    this.drop();
    this.ask(error);
    this.announce('The admin key was refused. Enter it again.');
  }

  private async submit(): Promise<void> {
    const key = this.input.value.trim();
    if (!key) {
      showError(this.error, new Error('Enter the admin API key.'), true);
      return;
    }
    try {
      await this.verify(key);
    } catch (error) {
      showError(
        this.error,
        error instanceof ApiError && error.status === 401
          ? new Error('That key was refused (401): check it and try again.')
          : error,
        true,
      );
      return;
    }
    this.key = key;
    try {
      sessionStorage.setItem(STORAGE_KEY, key);
    } catch {
      // storage disabled: the key lives in this page only
    }
    this.input.value = '';
    this.open(true);
    this.announce('Key accepted.');
  }

  private open(focusContent: boolean): void {
    clearError(this.error);
    this.panel.hidden = true;
    this.main.hidden = false;
    this.forget.hidden = false;
    const key = this.key as string;
    for (const resolve of this.waiting.splice(0)) resolve(key);
    if (focusContent) byId('view-heading').focus();
  }

  private ask(reason: ApiError | null): void {
    this.main.hidden = true;
    this.forget.hidden = true;
    this.panel.hidden = false;
    if (reason)
      showError(this.error, new Error(`The admin key was refused (${reason.message}). Enter it again.`));
    else clearError(this.error);
    this.input.focus();
  }

  private drop(): void {
    this.key = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing kept
    }
  }
}

function readStored(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
