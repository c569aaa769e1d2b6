/**
 * Counts the SQL statements this process sends through `pg` (Agenda's pool and MikroORM's knex pool
 * both use it), with the rows they return and their latency as the client sees it, split into the
 * job store (statements naming `agenda_jobs`) and the rest. Bench instrumentation only: it wraps
 * `pg.Client.prototype.query` for the lifetime of the timer bench; the bench's own clients (its
 * sampler and listener) are excluded.
 */
import { createRequire } from 'node:module';
import pg from 'pg';

export interface MeterTotals {
  statements: number;
  rows: number;
  ms: number;
  storeStatements: number;
  storeRows: number;
  storeMs: number;
}

const ZERO: MeterTotals = { statements: 0, rows: 0, ms: 0, storeStatements: 0, storeRows: 0, storeMs: 0 };

type QueryFn = (this: object, ...args: unknown[]) => unknown;
interface QueryResultLike {
  rows?: unknown[];
}

function rowsOf(res: unknown): number {
  if (Array.isArray(res)) return res.reduce((s: number, r) => s + rowsOf(r), 0);
  return (res as QueryResultLike | undefined)?.rows?.length ?? 0;
}

function textOf(config: unknown): string {
  if (typeof config === 'string') return config;
  const text = (config as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

/** Every `pg` copy in node_modules this process may load (the top one, and any nested under MikroORM). */
function pgClientClasses(): (typeof pg.Client)[] {
  const classes = new Set<typeof pg.Client>([pg.Client]);
  try {
    const require = createRequire(import.meta.url);
    const ormPath = require.resolve('@mikro-orm/postgresql');
    const nested = createRequire(ormPath)('pg') as typeof pg;
    classes.add(nested.Client);
  } catch {
    // no nested copy: the top one is all
  }
  return [...classes];
}

export class PgMeter {
  private totals: MeterTotals = { ...ZERO };
  private readonly excluded = new WeakSet<object>();
  private restore: (() => void)[] = [];

  /** The bench's own connections do not count. */
  exclude(client: object): void {
    this.excluded.add(client);
  }

  snapshot(): MeterTotals {
    return { ...this.totals };
  }

  private record(text: string, ms: number, res: unknown): void {
    const rows = rowsOf(res);
    const t = this.totals;
    t.statements += 1;
    t.rows += rows;
    t.ms += ms;
    if (text.includes('agenda_jobs')) {
      t.storeStatements += 1;
      t.storeRows += rows;
      t.storeMs += ms;
    }
  }

  install(): void {
    if (this.restore.length) return;
    for (const Client of pgClientClasses()) {
      const proto = Client.prototype as unknown as { query: QueryFn };
      const original = proto.query;
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const meter = this;
      proto.query = function (this: object, ...args: unknown[]) {
        if (meter.excluded.has(this) || typeof (args[0] as { submit?: unknown })?.submit === 'function') {
          return original.apply(this, args);
        }
        const text = textOf(args[0]);
        const started = performance.now();
        const done = (res?: unknown) => meter.record(text, performance.now() - started, res);
        const cbAt = typeof args[1] === 'function' ? 1 : typeof args[2] === 'function' ? 2 : -1;
        if (cbAt >= 0) {
          const cb = args[cbAt] as (err: unknown, res: unknown) => unknown;
          args[cbAt] = function (this: unknown, err: unknown, res: unknown) {
            done(err ? undefined : res);
            return cb.call(this, err, res);
          };
          return original.apply(this, args);
        }
        const result = original.apply(this, args) as Promise<unknown> | undefined;
        if (result && typeof result.then === 'function') result.then(done, () => done());
        return result;
      };
      this.restore.push(() => {
        proto.query = original;
      });
    }
  }

  uninstall(): void {
    for (const r of this.restore.splice(0)) r();
  }
}

export function diffTotals(a: MeterTotals, b: MeterTotals): MeterTotals {
  return {
    statements: b.statements - a.statements,
    rows: b.rows - a.rows,
    ms: b.ms - a.ms,
    storeStatements: b.storeStatements - a.storeStatements,
    storeRows: b.storeRows - a.storeRows,
    storeMs: b.storeMs - a.storeMs,
  };
}
