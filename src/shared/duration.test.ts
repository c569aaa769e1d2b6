import { describe, it, expect } from '@jest/globals';
import { durationMs, parseDuration } from './duration.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['P3D', 3 * DAY],
    ['P7D', 7 * DAY],
    ['P30D', 30 * DAY],
    ['PT24H', 24 * HOUR],
    ['PT48H', 48 * HOUR],
    ['PT15M', 15 * MINUTE],
    ['PT2S', 2 * SECOND],
    ['PT1.5S', 1500],
    ['P1W', 7 * DAY],
    ['P2W3D', 17 * DAY],
    ['P1DT12H', 36 * HOUR],
    ['PT1H30M', 90 * MINUTE],
    ['P1DT2H3M4S', DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND],
    ['P0D', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    'P',
    'PT',
    'P1DT',
    '3 days',
    'P1M',
    'P1Y',
    'PT-1H',
    'p3d',
    '',
    '3D',
    'PT1,5S',
    ' P3D',
    'P3DT',
    'PT1.5H',
  ])('refuses %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('durationMs', () => {
  it('returns the milliseconds of a valid duration', () => {
    expect(durationMs('PT24H')).toBe(DAY);
  });

  it('throws on an invalid duration', () => {
    expect(() => durationMs('3 days')).toThrow('Not an ISO 8601 duration: 3 days');
  });
});
