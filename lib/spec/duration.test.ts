import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['1.5h', 5_400_000],
    [' 10m ', 600_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['', 'empty duration'],
    ['30', "cannot read '30'"],
    ['3 days', "cannot read '3 days'"],
    ['1y', "cannot read '1y'"],
    ['m', "cannot read 'm'"],
    ['30m1h', 'largest to smallest'],
    ['1m1m', 'largest to smallest'],
    ['-5m', "cannot read '-5m'"],
  ])('refuses %j', (text, fragment) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [93_600_000, '1d2h'],
    [5_400_000, '1h30m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    const back = parseDuration(text);
    expect(back.ok && back.ms).toBe(ms);
  });

  it('refuses negative input', () => {
    expect(() => formatDuration(-1)).toThrow('non-negative');
  });
});
