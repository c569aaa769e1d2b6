/**
 * What authentication and authorization cost per request (issue: ≥ 0.9× the same query without them).
 * Three Docket servers in this process on the same database and ORM, each serving the 50-ticket queue
 * page to the same agent, in interleaved rounds:
 * - "none": every request runs as the agent (startServer's benchmark-only `actorOverride`: no token is
 *   read or verified, no user row looked up) on a schema without the policy guard; no rate limit;
 * - "auth": the bearer JWT verified (signature cached per token, as in production), the user row read,
 *   the policy's operation check on the root field; no rate limit;
 * - "auth + rate limit": the same, plus the per-user counter in PostgreSQL (one upsert per request).
 * The ratio auth/none is the figure the goal is about; the third row shows what the shared rate
 * limiter adds on top (it is a limit, not authentication).
 */
import type { Actor } from '../src/access/actor.js';
import type { Config } from '../src/config.js';
import type { MikroORM } from '../src/db/orm.js';
import { startServer, type RunningServer } from '../src/server/app.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { systemClock } from '../src/shared/clock.js';
import type { Logger } from '../src/shared/logger.js';
import type { LoadGenerator, LoadRequest, RoundStats } from './load.js';
import { fmt, median, table } from './stats.js';

export const AUTH_GOAL = 0.9;

export interface AuthBenchOptions {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  load: LoadGenerator;
  agent: Actor;
  token: string;
  body: string;
  concurrency: number;
  seconds: number;
  rounds: number;
}

type Variant = 'none' | 'auth' | 'limited';
const LABELS: Record<Variant, string> = {
  none: 'no authentication or authorization',
  auth: 'JWT + user lookup + policy check',
  limited: 'the same + rate limit (PostgreSQL counter)',
};

export async function runAuthBench(o: AuthBenchOptions): Promise<string> {
  const log = (m: string) => console.log(`[bench auth] ${m}`);
  const noLimits: Config = { ...o.config, limits: { ...o.config.limits, userPerMinute: 0, keyPerMinute: 0 } };
  const deps = (config: Config, guard: boolean) =>
    buildDocketSchema({ guard }).then((schema) => ({
      config,
      orm: o.orm,
      schema,
      clock: systemClock,
      logger: o.logger,
    }));
  const servers: Partial<Record<Variant, RunningServer>> = {};
  try {
    const at = { port: 0, host: '127.0.0.1' };
    servers.none = await startServer(await deps(noLimits, false), { ...at, actorOverride: o.agent });
    servers.auth = await startServer(await deps(noLimits, true), at);
    servers.limited = await startServer(await deps(o.config, true), at);
    const job = (v: Variant, durationMs: number): LoadRequest => ({
      url: servers[v]!.url,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
      body: o.body,
      concurrency: o.concurrency,
      durationMs,
    });
    const variants: Variant[] = ['none', 'auth', 'limited'];
    for (const v of variants) {
      const warm = await o.load.run(job(v, 2000));
      if (warm.errors) throw new Error(`${v}: ${warm.errors} errors, first: ${warm.firstError}`);
    }
    const rounds: Record<Variant, RoundStats>[] = [];
    for (let i = 1; i <= o.rounds; i++) {
      const round = {} as Record<Variant, RoundStats>;
      // Rotate the order each round so no variant always runs first.
      for (const v of variants.map((_, k) => variants[(k + i) % variants.length]!)) {
        (globalThis as { gc?: () => void }).gc?.();
        round[v] = await o.load.run(job(v, o.seconds * 1000));
        if (round[v].errors)
          throw new Error(`${v}: ${round[v].errors} errors, first: ${round[v].firstError}`);
      }
      rounds.push(round);
      log(
        `round ${i}/${o.rounds}: ` +
          variants.map((v) => `${v} ${fmt(round[v].rps)} req/s`).join(' | ') +
          ` | auth/none ${fmt(round.auth.rps / round.none.rps, 3)}`,
      );
    }
    const med = (v: Variant, pick: (s: RoundStats) => number) => median(rounds.map((r) => pick(r[v])));
    const ratio = (v: Variant) => median(rounds.map((r) => r[v].rps / r.none.rps));
    const authRatio = ratio('auth');
    return [
      'Authentication and authorization: the same 50-ticket queue page, with and without them',
      `${o.rounds} rounds × ${o.seconds} s per variant, concurrency ${o.concurrency}, order rotated each round; medians`,
      '',
      table([
        ['', 'req/s', 'p50 ms', 'p99 ms', 'vs none'],
        ...variants.map((v) => [
          LABELS[v],
          fmt(med(v, (s) => s.rps)),
          fmt(
            med(v, (s) => s.p50),
            2,
          ),
          fmt(
            med(v, (s) => s.p99),
            2,
          ),
          v === 'none' ? '1.000×' : `${fmt(ratio(v), 3)}×`,
        ]),
      ]),
      '',
      `auth/none: ${fmt(authRatio, 3)}× (median of per-round ratios) — goal ≥ ${AUTH_GOAL}×: ${authRatio >= AUTH_GOAL ? 'MET' : 'NOT MET'}`,
    ].join('\n');
  } finally {
    for (const s of Object.values(servers)) await s?.close().catch(() => {});
  }
}
