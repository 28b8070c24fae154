import { bytes, countdown, dateTime, humanDuration, num, percent, percentRange, plural, relativeTime } from './format';

describe('format', () => {
  it('counts down as h:mm:ss or m:ss, never negative', () => {
    expect(countdown(3_909_000)).toBe('1:05:09');
    expect(countdown(247_400)).toBe('4:07');
    expect(countdown(9_999)).toBe('0:09');
    expect(countdown(-5_000)).toBe('0:00');
  });

  it('writes short human durations', () => {
    expect(humanDuration(45_000)).toBe('45 s');
    expect(humanDuration(12 * 60_000)).toBe('12 min');
    expect(humanDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(humanDuration(2 * 3_600_000)).toBe('2 h');
    expect(humanDuration(52 * 3_600_000)).toBe('2 d 4 h');
  });

  it('writes times relative to now', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(relativeTime('2026-11-30T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2026-11-30T15:00:00Z', now)).toBe('in 3 h');
    expect(relativeTime('2026-11-30T12:00:05Z', now)).toBe('just now');
    expect(relativeTime(null, now)).toBe('—');
  });

  it('formats dates, shares, numbers and sizes', () => {
    expect(dateTime(null)).toBe('—');
    expect(dateTime('2026-11-30T12:00:00Z')).toMatch(/^2026-11-30 \d\d:00:00$/);
    expect(percent(0.726)).toBe('72.6%');
    expect(percent(null)).toBe('—');
    expect(percent(Number.NaN)).toBe('—');
    expect(percentRange([0.681, 0.77])).toBe('68.1% – 77.0%');
    expect(percentRange(null)).toBe('—');
    expect(num(0.5)).toBe('0.5');
    expect(num(12)).toBe('12');
    expect(num(1 / 3)).toBe('0.333');
    expect(num(undefined)).toBe('—');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KB');
    expect(bytes(50 * 1024 * 1024)).toBe('50 MB');
    expect(plural(1, 'task')).toBe('1 task');
    expect(plural(3, 'task')).toBe('3 tasks');
  });
});
