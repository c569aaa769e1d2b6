import pg from 'pg';
import { metricsQuery } from '../src/sla/metrics.js';
import { median } from './stats.js';

/**
 * slaMetrics grouped by priority over the seeded tickets, through the whole stack over HTTP, against
 * the bare SQL aggregate it runs, on a raw pg client; interleaved rounds, medians.
 */
const QUERY = `query { slaMetrics(groupBy: PRIORITY) { key tickets firstResponseCalendar { meanSeconds medianSeconds p90Seconds }
  firstResponseBusiness { meanSeconds medianSeconds p90Seconds } resolutionCalendar { meanSeconds medianSeconds p90Seconds }
  resolutionBusiness { meanSeconds } firstRespondedWithinShare breaches atRisk targets { kind met breached complianceRate } } }`;

/** SLA targets for the seeded tickets, as the clock would have stored them (first response and resolution). */
export async function seedSlaTargets(client: pg.ClientBase): Promise<number> {
  await client.query(`update ticket set first_responded_at = created_at + (abs(hashtext(id::text)) % 7200) * interval '1 second',
                        resolved_at = case when status_category in ('RESOLVED', 'CLOSED') then created_at + (abs(hashtext(reference)) % 200000) * interval '1 second' end
                      where 'bench' = any(tags)`);
  const res = await client.query(`
    insert into ticket_sla_target (id, ticket_id, kind, state, clock, target_ms, cycle, started_at, due_at, elapsed_ms,
                                   remaining_ms, paused_ms, achieved_at, breached_at, breaches, computed_at)
    select gen_random_uuid(), t.id, k.kind,
           case when k.kind = 'RESOLUTION' and t.resolved_at is null then 'ACTIVE'
                when abs(hashtext(t.id::text || k.kind)) % 10 = 0 then 'BREACHED' else 'ACHIEVED' end,
           'BUSINESS', 14400000, 1, t.created_at, t.created_at + interval '4 hours',
           abs(hashtext(t.id::text || k.kind)) % 20000000, 0, 0,
           case when k.kind = 'RESOLUTION' then t.resolved_at else t.first_responded_at end,
           case when abs(hashtext(t.id::text || k.kind)) % 10 = 0 then t.created_at + interval '4 hours' end,
           case when abs(hashtext(t.id::text || k.kind)) % 10 = 0 then 1 else 0 end, now()
      from ticket t cross join (values ('FIRST_RESPONSE'), ('RESOLUTION')) k(kind)
     where 'bench' = any(t.tags)`);
  await client.query('analyze ticket_sla_target');
  await client.query('analyze ticket');
  return res.rowCount ?? 0;
}

export async function runSlaMetricsBench(opts: {
  databaseUrl: string;
  graphqlUrl: string;
  token: string;
  rounds: number;
  perRound: number;
}): Promise<string> {
  const { sql, params } = metricsQuery({
    filter: {},
    groupBy: 'PRIORITY',
    withinSeconds: 3600,
    atRiskSeconds: 3600,
    now: new Date(),
  });
  let i = 0;
  const text = sql.replace(/\?/g, () => `$${++i}`);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  const viaApi = async () => {
    const res = await fetch(opts.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await res.json()) as { errors?: unknown[] };
    if (body.errors) throw new Error(`slaMetrics failed: ${JSON.stringify(body.errors)}`);
  };
  const bare = async () => {
    await client.query(text, params);
  };
  const time = async (fn: () => Promise<void>) => {
    const t = performance.now();
    for (let n = 0; n < opts.perRound; n++) await fn();
    return (performance.now() - t) / opts.perRound;
  };
  try {
    await viaApi();
    await bare();
    const api: number[] = [];
    const sqlOnly: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const a = await time(viaApi);
      const b = await time(bare);
      api.push(a);
      sqlOnly.push(b);
      ratios.push(b / a);
    }
    const ratio = median(ratios);
    return [
      'slaMetrics(groupBy: PRIORITY) over the seeded tickets (two targets each), sequential requests:',
      `  Docket over HTTP: ${median(api).toFixed(1)} ms per request; the bare SQL aggregate on a raw pg client: ${median(sqlOnly).toFixed(1)} ms`,
      `  throughput ratio Docket/bare SQL: ${ratio.toFixed(3)}× (median of ${opts.rounds} interleaved rounds × ${opts.perRound}) — goal ≥ 0.5×: ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`,
    ].join('\n');
  } finally {
    await client.end();
  }
}
