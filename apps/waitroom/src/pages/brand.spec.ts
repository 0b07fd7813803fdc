import { brandAccent, contrastRatio, MIN_CONTRAST, relativeLuminance } from './brand';

describe('brand accent', () => {
  it('computes WCAG contrast as the specification does', () => {
    expect(relativeLuminance('#ffffff')).toBeCloseTo(1, 5);
    expect(relativeLuminance('#000000')).toBe(0);
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it.each(['#ffeb3b', '#ffffff', '#00ff00', '#ff6600', '#1a4fb0', '#0b1f3a', '#000000', '#7F7F7F'])(
    'gives %s an accent readable on every light surface and under white text',
    (brand) => {
      const { accent, hover, onAccent } = brandAccent(brand);
      for (const surface of ['#ffffff', '#f3f4f7'])
        expect(contrastRatio(accent, surface)).toBeGreaterThanOrEqual(MIN_CONTRAST);
      expect(contrastRatio(accent, onAccent)).toBeGreaterThanOrEqual(MIN_CONTRAST);
      expect(contrastRatio(hover, onAccent)).toBeGreaterThanOrEqual(MIN_CONTRAST);
      expect(accent).toMatch(/^#[0-9a-f]{6}$/);
    },
  );

  it('keeps a colour that is dark enough, and only darkens one that is not', () => {
    expect(brandAccent('#0B1F3A').accent).toBe('#0b1f3a');
    const yellow = brandAccent('#ffeb3b').accent;
    expect(yellow).not.toBe('#ffeb3b');
    // Still the same hue: darkened, not replaced.
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(yellow.slice(i, i + 2), 16));
    expect(r).toBeGreaterThan(b);
    expect(g).toBeGreaterThan(b);
  });
});
