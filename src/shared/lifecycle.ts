import type { Logger } from './logger.js';

/** How long a graceful stop may take in all before the process exits anyway (ms). */
export const STOP_BUDGET_MS = 10_000;

/**
 * What a command has started (a database, a scheduler, a server), to be stopped in reverse order on
 * every exit path: a signal, a failed start-up, a command that finished or failed. Each step gets a
 * share of the budget; one that fails or hangs is logged and skipped, so the rest still stop.
 */
export class Resources {
  private readonly steps: { name: string; stop: () => Promise<unknown> }[] = [];
  private stopped?: Promise<void>;

  constructor(private readonly logger: Logger) {}

  /** Registers something to stop; the last added stops first. */
  add(name: string, stop: () => Promise<unknown>): void {
    this.steps.push({ name, stop });
  }

  /** Stops everything, last started first (once: later calls wait for the first). */
  stopAll(budgetMs = STOP_BUDGET_MS - 1000): Promise<void> {
    this.stopped ??= (async () => {
      const deadline = Date.now() + budgetMs;
      for (const { name, stop } of this.steps.splice(0).reverse()) {
        const left = Math.max(500, deadline - Date.now());
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            stop(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`did not stop within ${left} ms`)), left);
            }),
          ]);
        } catch (err) {
          this.logger.warn({ err: (err as Error).message, step: name }, `stopping the ${name} failed`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.stopped;
  }
}

/** Signals this soon after the first are the same one delivered twice (ms). */
const REPEAT_WINDOW_MS = 1000;

export interface Signals {
  /** Settles at the first SIGINT or SIGTERM, with its name. */
  readonly requested: Promise<NodeJS.Signals>;
}

/**
 * Takes over SIGINT and SIGTERM for the whole life of the process, from its first line: the first
 * starts a graceful stop (the caller awaits `requested`); a second one (a second later or more: npm
 * forwards a Ctrl-C that node receives from the terminal too), or a stop that takes longer
 * than STOP_BUDGET_MS, exits at once with code 1 after `onForce` (which must be synchronous).
 * Without this, a signal during start-up would kill the process mid-way with nothing stopped.
 */
export function takeSignals(logger: Logger, onForce: () => void): Signals {
  let resolve!: (s: NodeJS.Signals) => void;
  const requested = new Promise<NodeJS.Signals>((r) => (resolve = r));
  let first: NodeJS.Signals | undefined;
  let firstAt = 0;
  const force = (why: string) => {
    logger.error(why);
    try {
      onForce();
    } finally {
      process.exit(1);
    }
  };
  const handle = (signal: NodeJS.Signals) => {
    if (first) {
      // A Ctrl-C reaches both npm and node, and npm forwards its copy: the same keystroke arrives twice
      // within milliseconds. Only a signal a person sends again later forces the exit.
      if (Date.now() - firstAt < REPEAT_WINDOW_MS) return;
      return force(`${signal} again: exiting now`);
    }
    first = signal;
    firstAt = Date.now();
    logger.info({ signal }, 'shutting down (send it again to exit at once)');
    setTimeout(
      () => force(`shutdown took over ${STOP_BUDGET_MS / 1000} s: exiting now`),
      STOP_BUDGET_MS,
    ).unref();
    resolve(signal);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return { requested };
}
