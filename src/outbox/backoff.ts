/**
 * When a failed delivery is tried again: exponential back-off with jitter.
 *
 * The n-th retry (n = attempts made so far, from 1) waits `baseMs × 2^(n−1)`, capped at `maxMs`, then
 * scaled by a random factor in [0.5, 1) ("equal jitter") so that deliveries that failed together do not
 * all come back together. A `retryAfterMs` the receiver asked for (an SMTP 421 with a delay, HTTP
 * Retry-After) wins when it is longer. Pure: the random source is a parameter.
 */
export interface RetryPolicy {
  /** Attempts in all (the first one included) before a delivery is given up as FAILED. */
  maxAttempts: number;
  /** The first retry's delay (ms). */
  baseMs: number;
  /** The longest delay between two attempts (ms). */
  maxMs: number;
}

export function retryDelayMs(
  attempts: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const delay = Math.round(ceiling * (0.5 + random() / 2));
  return Math.max(delay, retryAfterMs ?? 0);
}

/** Whether a delivery that just failed after `attempts` attempts gets another. */
export const mayRetry = (attempts: number, policy: Pick<RetryPolicy, 'maxAttempts'>): boolean =>
  attempts < policy.maxAttempts;
