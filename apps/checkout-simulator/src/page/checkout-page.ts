import type { CheckoutStatus } from '../checkout/checkout.service';
import type { AdmissionClaims, RejectReason } from '@waitroom/gate';

export type CheckoutPageView =
  | { kind: 'verified'; claims: AdmissionClaims; status: CheckoutStatus | null }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: RejectReason }
  | { kind: 'unavailable' };

/** Response headers of every page: no third-party host, no caching, and the token never leaks on. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: keep it out of Referer headers and out of frames.
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
} as const;

const REASONS: Record<RejectReason, string> = {
  malformed: 'The token is not a readable admission token.',
  bad_signature: 'The token was not signed by the waiting room.',
  unknown_key: 'The token was signed with a key the waiting room does not publish.',
  expired: 'The checkout window of this token has ended.',
  wrong_claims: 'The token is not for an event this checkout serves.',
  jwks_unavailable: 'The waiting room cannot be reached to check the token.',
};

const STATUS_TEXT: Record<CheckoutStatus, string> = {
  pending: 'in progress: the simulator will report the outcome shortly',
  completed: 'completed (CHECKOUT_COMPLETED sent)',
  failed: 'failed (CHECKOUT_FAILED sent)',
  not_published: 'could not be reported to the waiting room',
};

export function pageStatus(view: CheckoutPageView): number {
  switch (view.kind) {
    case 'verified':
      return 200;
    case 'missing':
      return 400;
    case 'invalid':
      return view.reason === 'jwks_unavailable' ? 503 : 403;
    case 'unavailable':
      return 503;
  }
}

/** The "checkout" page: the verified claims of an admission token, or why it was not accepted. */
export function renderCheckoutPage(view: CheckoutPageView): string {
  if (view.kind === 'verified') {
    const { claims, status } = view;
    const rows: [string, string][] = [
      ['Session', claims.sessionId],
      ['Event', claims.eventId],
      ['User', claims.userId],
      ['Admitted at', claims.issuedAt?.toISOString() ?? 'not stated'],
      ['Checkout window ends', claims.expiresAt.toISOString()],
      ['Issuer', claims.issuer ?? 'not stated'],
      [
        'Checkout',
        status ? STATUS_TEXT[status] : 'not started by the simulator (no QUEUE_READY seen for it yet)',
      ],
    ];
    return layout(
      'Checkout',
      `<p class="ok" role="status">Your admission token is valid.</p>
<dl>
${rows.map(([term, value]) => `  <dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('\n')}
</dl>
<p>This is the simulated checkout of the development stack: it completes or fails the order by itself.</p>`,
    );
  }
  const message =
    view.kind === 'missing'
      ? 'No admission token: open this page from the waiting room\u2019s checkout link (it adds <code>waitroom_token</code>).'
      : view.kind === 'unavailable'
        ? escapeHtml(REASONS.jwks_unavailable) + ' Try again in a moment.'
        : escapeHtml(REASONS[view.reason]);
  const heading = view.kind === 'unavailable' ? 'Checkout unavailable' : 'Invalid token';
  return layout(
    heading,
    `<p class="error" role="alert">${message}</p>\n<p>Go back to the waiting room to get a new link.</p>`,
  );
}

function layout(heading: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)} \u2013 checkout simulator</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; line-height: 1.5; color: #1b1b1b; background: #fff; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { font-weight: 600; }
  dd { margin: 0; overflow-wrap: anywhere; }
  .ok { color: #0b6b2b; font-weight: 600; }
  .error { color: #a4161a; font-weight: 600; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(heading)}</h1>
${body}
</main>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
