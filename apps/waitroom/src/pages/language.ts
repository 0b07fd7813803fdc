/**
 * The page language: `?lang=` when it names a supported language, else the best match of the
 * Accept-Language header (by q-value, then order; "de-AT" matches "de"), else the first supported.
 */
export function pickLanguage<L extends string>(
  supported: readonly L[],
  query: unknown,
  acceptLanguage: string | undefined,
): L {
  const match = (tag: string): L | undefined => {
    const primary = tag.trim().toLowerCase().split('-')[0];
    return supported.find((language) => language === primary);
  };
  if (typeof query === 'string' && query !== '') {
    const chosen = match(query);
    if (chosen) return chosen;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const entry of ranked) {
    const chosen = match(entry.tag);
    if (chosen) return chosen;
  }
  return supported[0];
}
