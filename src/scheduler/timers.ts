import { durationMs } from '../shared/duration.js';
import type { StatusTimer, WorkflowDefinition } from '../workflow/definition.js';

/** Pure rules of workflow timers: which start on entering a status, and when each fires next. */
export interface TimerPlan {
  timerIndex: number;
  fireAt: number;
}

/** The timers that start when a ticket enters `status` at `enteredAt`. */
export function timersOnEntering(def: WorkflowDefinition, status: string, enteredAt: number): TimerPlan[] {
  return def.timers.flatMap((t, timerIndex) =>
    t.status === status ? [{ timerIndex, fireAt: enteredAt + durationMs(t.after) }] : [],
  );
}

/**
 * When a reminder fires again after its `firedCount`-th firing (at `firedAt`), or undefined when it is
 * done (no repeat, or the maximum reached). A MOVE timer fires once.
 */
export function nextFiring(timer: StatusTimer, firedCount: number, firedAt: number): number | undefined {
  if (timer.action !== 'REMIND' || !timer.repeatEvery) return undefined;
  if (firedCount >= (timer.maxCount ?? 1)) return undefined;
  return firedAt + durationMs(timer.repeatEvery);
}
