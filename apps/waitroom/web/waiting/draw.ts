/**
 * The pre-queue draw as the waiting page shows it (README "Auditable draw"): before opening,
 * the commitment and a word that places are provisional; from opening on, the person's own draw
 * number, recomputed here from the revealed seed with the published algorithm, so the page
 * trusts the server no more than anyone else does.
 */

/** GET /events/:id/draw. */
export interface DrawInfo {
  event_id: string;
  opens_at: string | null;
  seed_commitment: string;
  seed?: string;
  algorithm?: string;
}

/** The event's draw, or null when it has none (404: no shuffle_at_open) or it cannot be read now. */
export async function fetchDraw(api: string, eventId: string): Promise<DrawInfo | null> {
  try {
    const response = await fetch(`${api}/events/${encodeURIComponent(eventId)}/draw`, { cache: 'no-store' });
    return response.ok ? ((await response.json()) as DrawInfo) : null;
  } catch {
    return null;
  }
}

/**
 * draw = first 5 bytes of sha1(seed || 0x00 || user_id) as a big-endian integer (below 2^40, so a
 * double holds it exactly). Null without WebCrypto (a page served over plain http, not localhost).
 */
export async function drawNumber(seed: string, userId: string): Promise<number | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const encoder = new TextEncoder();
  const seedBytes = encoder.encode(seed);
  const userBytes = encoder.encode(userId);
  const input = new Uint8Array(seedBytes.length + 1 + userBytes.length);
  input.set(seedBytes, 0);
  input.set(userBytes, seedBytes.length + 1);
  const digest = new Uint8Array(await subtle.digest('SHA-1', input));
  let value = 0;
  for (let i = 0; i < 5; i++) value = value * 256 + digest[i];
  return value;
}
