import type { EntityManager } from '@mikro-orm/postgresql';
import { readRows } from '../db/read.js';
import { sqlArray } from '../db/sql.js';
import { GROUPS, type MetricsFilter, type MetricsGroupBy } from '../sla/metrics.js';

/**
 * CSAT by the same filter and groupings as slaMetrics (tickets chosen by when they were created;
 * priority, plan, team, agent, day or week). Each ticket counts with its latest rated survey. The
 * share of good ratings is the usual CSAT: good / rated (a 1–5 rating is good at 4 or 5).
 */
export interface CsatGroup {
  key: string;
  label: string;
  /** Tickets of the group with a rating. */
  rated: number;
  good: number;
  bad: number;
  /** good / rated; undefined with no rating. */
  goodShare?: number;
  /** The mean rating on the 1–5 scale (GOOD_BAD counts good as 5 and bad as 1). */
  averageRating?: number;
  /** Surveys opened for the group's tickets (rated or not): rated / surveys is the response rate. */
  surveys: number;
}

export async function csatMetrics(
  em: EntityManager,
  opts: { filter: MetricsFilter; groupBy: MetricsGroupBy },
): Promise<CsatGroup[]> {
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
  const rows = await readRows(
    em,
    `select ${g.key} as key, min(${g.label}) as label,
            count(s.ticket_id) as surveys,
            count(r.ticket_id) as rated,
            count(r.ticket_id) filter (where r.good) as good,
            avg(r.rating) as average
       from ticket t
       join (select distinct ticket_id from satisfaction_survey) s on s.ticket_id = t.id
       left join lateral (
         select ticket_id, good, rating from satisfaction_survey
          where ticket_id = t.id and rating is not null order by rated_at desc limit 1) r on true
       left join organization o on o.id = t.organization_id
       left join plan pl on pl.id = o.plan_id
       left join team tm on tm.id = t.team_id
       left join app_user u on u.id = t.assignee_id
      where ${where.length ? where.join(' and ') : 'true'}
      group by 1 order by 1`,
    params,
  );
  return rows.map((r) => {
    const rated = Number(r.rated);
    const good = Number(r.good);
    return {
      key: String(r.key),
      label: String(r.label),
      surveys: Number(r.surveys),
      rated,
      good,
      bad: rated - good,
      goodShare: rated ? good / rated : undefined,
      averageRating: r.average == null ? undefined : Number(r.average),
    };
  });
}
