/** Small, dependency-free helpers for the server-rendered page shells. */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` as \u escapes, so no
 * value can close the element or open a comment, and U+2028/9, which older parsers choke on.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Replaces `{name}` placeholders; the values are escaped by the caller when the result is HTML. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

interface PageShell {
  lang: string;
  title: string;
  /** Built assets of the page (WebAssets.of), or null when the web build is missing. */
  assets: { js: string | null; css: string | null } | null;
  /** Trusted HTML of <body> (every interpolated value already escaped). */
  body: string;
  /** Handed to the page's script as JSON in <script type="application/json" id="page-config">. */
  config?: unknown;
}

/**
 * One HTML document. No inline script or style: the page CSP (common/response-headers.ts) forbids
 * them; data goes in a JSON script element, which is not executed.
 */
export function renderShell(page: PageShell): string {
  const head = [
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${escapeHtml(page.title)}</title>`,
    page.assets?.css ? `<link rel="stylesheet" href="${escapeHtml(page.assets.css)}">` : '',
    page.assets?.js ? `<script type="module" src="${escapeHtml(page.assets.js)}"></script>` : '',
  ].filter(Boolean);
  const config =
    page.config === undefined
      ? ''
      : `\n<script type="application/json" id="page-config">${jsonForScript(page.config)}</script>`;
  return `<!doctype html>
<html lang="${escapeHtml(page.lang)}" dir="ltr">
<head>
${head.join('\n')}
</head>
<body>
${page.body}${config}
</body>
</html>
`;
}
