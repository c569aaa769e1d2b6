import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlArray } from '../db/sql.js';
import { readRows } from '../db/read.js';

/**
 * SLA reporting by SQL aggregation over indexed columns (no entity is loaded). Tickets are chosen by
 * when they were created. Calendar-time figures come from the ticket (created, first responded,
 * resolved); business-time figures and compliance from the stored SLA targets.
 */
export interface MetricsFilter {
  from?: Date;
  to?: Date;
  priority?: string[];
  planId?: string;
  teamId?: string;
  agentId?: string;
  organizationId?: string;
  channel?: string[];
}

export type MetricsGroupBy = 'NONE' | 'PRIORITY' | 'PLAN' | 'TEAM' | 'AGENT' | 'DAY' | 'WEEK';

export const GROUPS: Record<MetricsGroupBy, { key: string; label: string }> = {
  NONE: { key: `'all'`, label: `'All tickets'` },
  PRIORITY: { key: 't.priority', label: 't.priority' },
  PLAN: { key: `coalesce(o.plan_id::text, 'none')`, label: `coalesce(pl.name, 'No plan')` },
  TEAM: { key: `coalesce(t.team_id::text, 'none')`, label: `coalesce(tm.name, 'No team')` },
  AGENT: { key: `coalesce(t.assignee_id::text, 'none')`, label: `coalesce(u.name, 'Unassigned')` },
  DAY: {
    key: `to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD')`,
    label: `to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD')`,
  },
  WEEK: {
    key: `to_char(t.created_at at time zone 'UTC', 'IYYY-"W"IW')`,
    label: `to_char(t.created_at at time zone 'UTC', 'IYYY-"W"IW')`,
  },
};

export interface TimeStats {
  count: number;
  meanSeconds?: number;
  medianSeconds?: number;
  p90Seconds?: number;
}

export interface TargetCompliance {
  kind: string;
  met: number;
  breached: number;
  /** met / (met + breached); undefined when nothing finished yet. */
  complianceRate?: number;
  /** Cycles started, over the group's targets of this kind (issue 16: a target may run several). */
  cycles: number;
  /** Cycles that breached (each target counts each breached cycle). */
  breachedCycles: number;
}

export interface MetricsGroup {
  key: string;
  label: string;
  tickets: number;
  firstResponseCalendar: TimeStats;
  firstResponseBusiness: TimeStats;
  resolutionCalendar: TimeStats;
  resolutionBusiness: TimeStats;
  /** Share of the group's tickets first-responded within the threshold (calendar time). */
  firstRespondedWithinShare?: number;
  breaches: number;
  atRisk: number;
  targets: TargetCompliance[];
}

const stats = (r: Record<string, unknown>, p: string): TimeStats => ({
  count: Number(r[`${p}_n`] ?? 0),
  meanSeconds: r[`${p}_mean`] == null ? undefined : Number(r[`${p}_mean`]),
  medianSeconds: r[`${p}_median`] == null ? undefined : Number(r[`${p}_median`]),
  p90Seconds: r[`${p}_p90`] == null ? undefined : Number(r[`${p}_p90`]),
});

const timeStats = (p: string, seconds: string, where: string) => `
  count(*) filter (where ${where}) as ${p}_n,
  avg(${seconds}) filter (where ${where}) as ${p}_mean,
  percentile_cont(0.5) within group (order by ${seconds}) filter (where ${where}) as ${p}_median,
  percentile_cont(0.9) within group (order by ${seconds}) filter (where ${where}) as ${p}_p90`;

export interface MetricsOptions {
  filter: MetricsFilter;
  groupBy: MetricsGroupBy;
  withinSeconds: number;
  atRiskSeconds: number;
  now: Date;
}

/** The one SQL statement behind slaMetrics (exported for the benchmark, which runs it bare). */
export function metricsQuery(opts: MetricsOptions): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...v: unknown[]) => {
    where.push(sql);
    params.push(...v);
  };
  const f = opts.filter;
  if (f.from) add('t.created_at >= ?', f.from.toISOString());
  if (f.to) add('t.created_at < ?', f.to.toISOString());
  if (f.priority?.length) add('t.priority = any(?::text[])', sqlArray(f.priority));
  if (f.channel?.length) add('t.channel = any(?::text[])', sqlArray(f.channel));
  if (f.planId) add('o.plan_id = ?', f.planId);
  if (f.teamId) add('t.team_id = ?', f.teamId);
  if (f.agentId) add('t.assignee_id = ?', f.agentId);
  if (f.organizationId) add('t.organization_id = ?', f.organizationId);
  const g = GROUPS[opts.groupBy];
  const joins = `left join organization o on o.id = t.organization_id
    left join plan pl on pl.id = o.plan_id
    left join team tm on tm.id = t.team_id
    left join app_user u on u.id = t.assignee_id
    where ${where.length ? where.join(' and ') : 'true'}`;
  const frSeconds = 'extract(epoch from t.first_responded_at - t.created_at)';
  const resSeconds = 'extract(epoch from t.resolved_at - t.created_at)';
  const done = `st.state in ('ACHIEVED', 'BREACHED') and st.achieved_at is not null`;
  const sql = `
    with tickets as (
      select ${g.key} as key, min(${g.label}) as label, count(*) as tickets,
        ${timeStats('frc', frSeconds, 't.first_responded_at is not null')},
        ${timeStats('rc', resSeconds, 't.resolved_at is not null')},
        count(*) filter (where t.first_responded_at - t.created_at <= make_interval(secs => ?)) as within_n
      from ticket t ${joins}
      group by 1
    ), targets as (
      select ${g.key} as tkey,
        ${timeStats('frb', 'st.elapsed_ms / 1000.0', `st.kind = 'FIRST_RESPONSE' and ${done}`)},
        ${timeStats('rb', 'st.elapsed_ms / 1000.0', `st.kind = 'RESOLUTION' and ${done}`)},
        coalesce(sum(st.breaches), 0) as breaches,
        count(distinct st.ticket_id) filter (
          where st.state = 'ACTIVE' and st.due_at > ?::timestamptz and st.due_at <= ?::timestamptz + make_interval(secs => ?)) as at_risk,
        ${['FIRST_RESPONSE', 'NEXT_RESPONSE', 'PERIODIC_UPDATE', 'RESOLUTION']
          .map(
            (k) =>
              `count(*) filter (where st.kind = '${k}' and st.state = 'ACHIEVED' and st.breaches = 0) as ${k.toLowerCase()}_met,
               count(*) filter (where st.kind = '${k}' and st.breaches > 0) as ${k.toLowerCase()}_breached,
               sum(st.cycle) filter (where st.kind = '${k}') as ${k.toLowerCase()}_cycles,
               sum(st.breaches) filter (where st.kind = '${k}') as ${k.toLowerCase()}_breached_cycles`,
          )
          .join(',\n')}
      from ticket_sla_target st join ticket t on t.id = st.ticket_id ${joins}
      group by 1
    )
    select tk.*, tg.* from tickets tk left join targets tg on tg.tkey = tk.key order by tk.key`;
  return {
    sql,
    params: [
      opts.withinSeconds,
      ...params,
      opts.now.toISOString(),
      opts.now.toISOString(),
      opts.atRiskSeconds,
      ...params,
    ],
  };
}

export async function slaMetrics(em: EntityManager, opts: MetricsOptions): Promise<MetricsGroup[]> {
  const { sql, params } = metricsQuery(opts);
  const rows = await readRows(em, sql, params);
  return rows.map((r) => {
    const tickets = Number(r.tickets);
    return {
      key: String(r.key),
      label: String(r.label),
      tickets,
      firstResponseCalendar: stats(r, 'frc'),
      firstResponseBusiness: stats(r, 'frb'),
      resolutionCalendar: stats(r, 'rc'),
      resolutionBusiness: stats(r, 'rb'),
      firstRespondedWithinShare: tickets ? Number(r.within_n) / tickets : undefined,
      breaches: Number(r.breaches ?? 0),
      atRisk: Number(r.at_risk ?? 0),
      targets: ['FIRST_RESPONSE', 'NEXT_RESPONSE', 'PERIODIC_UPDATE', 'RESOLUTION'].map((kind) => {
        const met = Number(r[`${kind.toLowerCase()}_met`] ?? 0);
        const breached = Number(r[`${kind.toLowerCase()}_breached`] ?? 0);
        return {
          kind,
          met,
          breached,
          complianceRate: met + breached ? met / (met + breached) : undefined,
          cycles: Number(r[`${kind.toLowerCase()}_cycles`] ?? 0),
          breachedCycles: Number(r[`${kind.toLowerCase()}_breached_cycles`] ?? 0),
        };
      }),
    };
  });
}

/** Running targets not yet due but due within `withinSeconds`, soonest first (past due is breached, not at risk). */
export async function ticketsAtRisk(
  em: EntityManager,
  opts: { withinSeconds: number; now: Date; first: number },
): Promise<{ ticketId: string; kind: string; dueAt: Date }[]> {
  const rows = await readRows<{ ticket_id: string; kind: string; due_at: string }>(
    em,
    `select st.ticket_id, st.kind, st.due_at from ticket_sla_target st
      where st.state = 'ACTIVE' and st.due_at > ?::timestamptz and st.due_at <= ?::timestamptz + make_interval(secs => ?)
      order by st.due_at, st.ticket_id, st.kind limit ?`,
    [opts.now.toISOString(), opts.now.toISOString(), opts.withinSeconds, opts.first],
  );
  return rows.map((r) => ({ ticketId: r.ticket_id, kind: r.kind, dueAt: new Date(r.due_at) }));
}
