import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable } from './health.js';

describe('isDatabaseUnavailable', () => {
  it('takes connection failures for an outage', () => {
    for (const code of ['08006', '08001', '57P01', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET'])
      expect([code, isDatabaseUnavailable({ code })]).toEqual([code, true]);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable({ cause: { code: '08006' } })).toBe(true);
  });

  it('does not take a fault of one statement for an outage: a protocol violation (a NUL inlined in a query), bad text, a constraint', () => {
    for (const code of ['08P01', '22021', '22P02', '23505', '54001'])
      expect([code, isDatabaseUnavailable({ code })]).toEqual([code, false]);
    expect(isDatabaseUnavailable({ code: '08P01', message: 'invalid message format' })).toBe(false);
  });
});
