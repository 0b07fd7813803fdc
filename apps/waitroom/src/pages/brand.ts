/**
 * An event's brand colour made safe to use as the waiting page's accent: links, outlined buttons
 * and the primary button's background, on the page's light surfaces. WCAG 2.x contrast: text
 * needs 4.5:1, so the colour is darkened (mixed with black) until it reaches that against the
 * page background, the darkest surface it sits on; white text on it then has at least that too.
 * A colour already dark enough is kept as it is.
 */

/** The page's lightest and darkest light surfaces (web/shared/base.css: --surface, --background). */
const SURFACES = ['#ffffff', '#f3f4f7'];
/** WCAG 2.x AA for normal text. */
export const MIN_CONTRAST = 4.5;
export const BRAND_COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;

function channels(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

function toHex(rgb: number[]): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance of an sRGB colour. */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** `hex` mixed with black: `amount` 0 keeps it, 1 is black. */
function darken(hex: string, amount: number): string {
  return toHex(channels(hex).map((c) => c * (1 - amount)));
}

/** The accent colours of a brand colour: `accent` (text and fills), `hover`, and the text on a fill. */
export interface BrandAccent {
  accent: string;
  hover: string;
  onAccent: string;
}

export function brandAccent(brandColor: string): BrandAccent {
  const readable = (hex: string) => SURFACES.every((surface) => contrastRatio(hex, surface) >= MIN_CONTRAST);
  let accent = brandColor.toLowerCase();
  for (let step = 1; !readable(accent) && step <= 20; step++)
    accent = darken(brandColor.toLowerCase(), step * 0.05);
  return { accent, hover: darken(accent, 0.2), onAccent: '#ffffff' };
}
