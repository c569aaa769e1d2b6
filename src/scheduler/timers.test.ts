import { describe, expect, it } from '@jest/globals';
import { PRESETS } from '../workflow/presets/index.js';
import { nextFiring, timersOnEntering } from './timers.js';

const D = 86_400_000;
const agency = PRESETS.find((p) => p.key === 'agency')!.definition;
const marketplace = PRESETS.find((p) => p.key === 'marketplace')!.definition;

describe('workflow timer rules', () => {
  it('starts the timers of the status entered, at their offsets (seed 002 Pending: 24 h, 5 days, 7 days)', () => {
    const plans = timersOnEntering(agency, 'pending', 0);
    expect(plans.map((p) => p.fireAt)).toEqual([1 * D, 5 * D, 7 * D]);
    expect(timersOnEntering(agency, 'open_new', 0)).toEqual([]);
  });

  it('repeats a reminder every interval up to its maximum (seed 001: every 3 days, at most 3)', () => {
    const [remind] = timersOnEntering(marketplace, 'waiting_on_seller', 0);
    const timer = marketplace.timers[remind!.timerIndex]!;
    expect(remind!.fireAt).toBe(3 * D);
    expect(nextFiring(timer, 1, 3 * D)).toBe(6 * D);
    expect(nextFiring(timer, 2, 6 * D)).toBe(9 * D);
    expect(nextFiring(timer, 3, 9 * D)).toBeUndefined();
  });

  it('a one-off reminder and a move fire once', () => {
    expect(nextFiring(agency.timers[0]!, 1, D)).toBeUndefined();
    const move = agency.timers.find((t) => t.action === 'MOVE')!;
    expect(nextFiring(move, 1, 7 * D)).toBeUndefined();
  });
});
