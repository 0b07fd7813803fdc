/**
 * What checkout sends on CHECKOUT_COMPLETED / CHECKOUT_FAILED / CHECKOUT_EXPIRED.
 * Only `session_id` is required; the optional fields are informational, and other teams add
 * fields freely, so unknown fields and optional fields of the wrong type are ignored.
 */
export interface CheckoutOutcomeMessage {
  session_id: string;
  event_id?: string;
  user_id?: string;
  order_id?: string;
  reason?: string;
  timestamp?: string;
}

const OPTIONAL_TEXT_FIELDS = ['event_id', 'user_id', 'order_id', 'reason', 'timestamp'] as const;

export type CheckoutOutcomeReading =
  { ok: true; value: CheckoutOutcomeMessage } | { ok: false; error: string };

/**
 * Reads a consumed record's value by the contract's rule: not valid JSON, not an object, or no
 * string `session_id` is a dead letter; anything else is a message. Never throws, whatever the
 * bytes: the value is parsed once and only the top level is looked at, so a huge or deeply
 * nested unknown field costs one JSON.parse and nothing more (no recursive validation).
 */
export function readCheckoutOutcome(value: Buffer | string | null): CheckoutOutcomeReading {
  if (value === null) return { ok: false, error: 'empty message (no value)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value);
  } catch (error) {
    // A RangeError (nesting beyond the parser's stack) lands here too: unreadable is unreadable.
    return { ok: false, error: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'message must be a JSON object' };
  }
  const fields = parsed as Record<string, unknown>;
  // Own properties only: `{"__proto__": ...}` from JSON.parse is an own key, never the prototype.
  const sessionId = Object.hasOwn(fields, 'session_id') ? fields.session_id : undefined;
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    return { ok: false, error: 'session_id is required and must be a non-empty string' };
  }
  const message: CheckoutOutcomeMessage = { session_id: sessionId };
  for (const name of OPTIONAL_TEXT_FIELDS) {
    const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (typeof field === 'string') message[name] = field;
  }
  return { ok: true, value: message };
}
