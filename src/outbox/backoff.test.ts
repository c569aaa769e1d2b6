import { describe, expect, it } from '@jest/globals';
import { mayRetry, retryDelayMs } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5 };

describe('retryDelayMs', () => {
  it('doubles from the base, between half and all of the ceiling', () => {
    expect(retryDelayMs(1, policy, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, undefined, () => 0.999999)).toBe(1000);
    expect(retryDelayMs(2, policy, undefined, () => 0)).toBe(1000);
    expect(retryDelayMs(4, policy, undefined, () => 0)).toBe(4000);
  });

  it('is capped at maxMs', () => {
    expect(retryDelayMs(20, policy, undefined, () => 0.999999)).toBe(60_000);
    expect(retryDelayMs(10_000, policy, undefined, () => 0)).toBe(30_000);
  });

  it('honours a longer delay the receiver asked for, never a shorter one', () => {
    expect(retryDelayMs(1, policy, 120_000, () => 0)).toBe(120_000);
    expect(retryDelayMs(3, policy, 10, () => 0)).toBe(2000);
  });

  it('stops after maxAttempts attempts in all', () => {
    expect(mayRetry(4, policy)).toBe(true);
    expect(mayRetry(5, policy)).toBe(false);
  });
});
