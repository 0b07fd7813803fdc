import type { EventState } from './session';

/** An event's operator configuration, as stored. */
export interface EventConfig {
  eventId: string;
  capacity: number;
  admissionRatePerMinute: number | null;
  checkoutTimeoutSeconds: number;
  state: EventState;
  opensAtMs: number | null;
  shuffleAtOpen: boolean;
  idleTimeoutSeconds: number | null;
  /** Where the waiting page sends an admitted person (with waitroom_token); null: show the token. */
  checkoutUrl: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface EventCounters {
  queueLength: number;
  activeCount: number;
  admittedTotal: number;
  completedTotal: number;
  failedTotal: number;
  expiredTotal: number;
  leftTotal: number;
  abandonedTotal: number;
  joinedTotal: number;
  admissionRatePerSecond: number | null;
}

/** Field names of the config hash (short: they repeat in every event's hash). */
export function configToHashFields(
  config: Omit<EventConfig, 'eventId' | 'createdAtMs' | 'updatedAtMs'>,
): string[] {
  return [
    'state', config.state,
    'capacity', String(config.capacity),
    'rate', config.admissionRatePerMinute === null ? '' : String(config.admissionRatePerMinute),
    'timeout', String(config.checkoutTimeoutSeconds),
    'opens_at', config.opensAtMs === null ? '' : String(config.opensAtMs),
    'shuffle', config.shuffleAtOpen ? '1' : '',
    'idle', config.idleTimeoutSeconds === null ? '' : String(config.idleTimeoutSeconds),
    'checkout_url', config.checkoutUrl ?? '',
  ]; // prettier-ignore
}

export function configFromHash(eventId: string, hash: Record<string, string>): EventConfig {
  const optionalNumber = (value: string | undefined) =>
    value === undefined || value === '' ? null : Number(value);
  return {
    eventId,
    capacity: Number(hash.capacity),
    admissionRatePerMinute: optionalNumber(hash.rate),
    checkoutTimeoutSeconds: Number(hash.timeout),
    state: hash.state as EventState,
    opensAtMs: optionalNumber(hash.opens_at),
    shuffleAtOpen: hash.shuffle === '1',
    idleTimeoutSeconds: optionalNumber(hash.idle),
    checkoutUrl: hash.checkout_url ? hash.checkout_url : null,
    createdAtMs: Number(hash.created_at),
    updatedAtMs: Number(hash.updated_at),
  };
}
