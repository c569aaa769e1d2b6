import { durationMs } from '../../src/shared/duration.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';

/** Test fixtures run workflow timers fast: one day of a preset becomes 200 ms. */
export const MS_PER_DAY = 200;

export const scaled = (iso: string) =>
  `PT${((durationMs(iso) * MS_PER_DAY) / 86_400_000 / 1000).toFixed(3)}S`;

export const fastTimers = (def: WorkflowDefinition): WorkflowDefinition => ({
  ...def,
  timers: def.timers.map((t) => ({
    ...t,
    after: scaled(t.after),
    ...(t.repeatEvery ? { repeatEvery: scaled(t.repeatEvery) } : {}),
  })),
});
