import { describe, expect, it } from '@jest/globals';
import { isPublicAddress, retryAfterMs } from './safe-http.js';

describe('isPublicAddress: what a webhook may connect to', () => {
  it('refuses loopback, private, link-local (metadata), CGNAT, unspecified, multicast and mapped forms', () => {
    for (const a of [
      '127.0.0.1',
      '127.1.2.3',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      'not an address',
    ])
      expect([a, isPublicAddress(a)]).toEqual([a, false]);
  });

  it('allows ordinary public unicast addresses', () => {
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect([a, isPublicAddress(a)]).toEqual([a, true]);
  });
});

describe('retryAfterMs', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('reads delay-seconds and HTTP dates, capped, never negative', () => {
    expect(retryAfterMs('120', now, 3_600_000)).toBe(120_000);
    expect(retryAfterMs(['5'], now, 3_600_000)).toBe(5000);
    expect(retryAfterMs('Mon, 30 Nov 2026 12:01:00 GMT', now, 3_600_000)).toBe(60_000);
    expect(retryAfterMs('Mon, 30 Nov 2026 11:00:00 GMT', now, 3_600_000)).toBe(0);
    expect(retryAfterMs('999999', now, 3_600_000)).toBe(3_600_000);
  });
  it('ignores what it cannot read', () => {
    expect(retryAfterMs(undefined, now, 1000)).toBeUndefined();
    expect(retryAfterMs('soon', now, 1000)).toBeUndefined();
    expect(retryAfterMs('-5', now, 1000)).toBeUndefined();
  });
});
