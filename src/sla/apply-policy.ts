import { canManageWorkflows } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import { NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { TicketChange } from '../ticket/ticket-changes.js';
import { definitionOf } from '../workflow/workflow-store.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { currentCalendarVersion, evaluateTicketSla, policyDefinition } from './sla-service.js';
import { SlaPolicy, SlaPolicyVersion, TicketSla, TicketSlaTarget } from './sla.entity.js';

export interface PolicyPreviewRow {
  ticketId: string;
  kind: string;
  currentState?: string;
  currentDueAt?: Date;
  newState: string;
  newDueAt?: Date;
}

const LIMIT = 1000;

/** The policy's current version and calendar version, and the open tickets still on older ones. */
async function staleTickets(ctx: UseCaseContext, key: string) {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('apply SLA policies');
  const policy = await ctx.em.findOne(SlaPolicy, { key });
  if (!policy) throw new NotFoundError('SLA policy', key);
  const version = await ctx.em.findOneOrFail(SlaPolicyVersion, { policy, version: policy.currentVersion });
  const calendar = await currentCalendarVersion(
    ctx.em,
    (await policyDefinition(ctx.em, version.id)).calendarKey,
  );
  if (!calendar) throw new NotFoundError('Business calendar', version.definition.calendarKey);
  const rows = await ctx.em.execute<{ ticket_id: string }[]>(
    `select ts.ticket_id from ticket_sla ts
       join sla_policy_version v on v.id = ts.policy_version_id
       join ticket t on t.id = ts.ticket_id
      where v.policy_id = ? and (ts.policy_version_id <> ? or ts.calendar_version_id <> ?)
        and t.status_category not in ('RESOLVED', 'CLOSED')
      order by t.created_at, t.id limit ${LIMIT}`,
    [policy.id, version.id, calendar.id],
  );
  return { policy, version, calendar, ticketIds: rows.map((r) => r.ticket_id) };
}

/**
 * A dry run: which open tickets on an older version of this policy (or of its calendar) would get which
 * new due dates if the current versions applied. Writes nothing.
 */
export async function previewSlaPolicy(ctx: UseCaseContext, key: string): Promise<PolicyPreviewRow[]> {
  const { version, calendar, ticketIds } = await staleTickets(ctx, key);
  const now = ctx.clock.now();
  const out: PolicyPreviewRow[] = [];
  for (const id of ticketIds) {
    const ticket = await ctx.em.findOneOrFail(Ticket, id);
    const def = await definitionOf(ctx.em, ticket.workflowVersion.id);
    const evaluated = await evaluateTicketSla(ctx.em, ticket, def, now, [], {
      policyVersionId: version.id,
      calendarVersionId: calendar.id,
    });
    const current = new Map((await ctx.em.find(TicketSlaTarget, { ticketId: id })).map((r) => [r.kind, r]));
    for (const r of evaluated?.results ?? []) {
      const before = current.get(r.kind);
      out.push({
        ticketId: id,
        kind: r.kind,
        currentState: before?.state,
        currentDueAt: before?.dueAt,
        newState: r.state,
        newDueAt: r.dueAt === undefined ? undefined : new Date(r.dueAt),
      });
    }
  }
  return out;
}

/**
 * Moves the open tickets on older versions of this policy onto its current version (and its calendar's
 * current version), recomputes their clocks and records SLA_POLICY_APPLIED on each.
 */
export async function applySlaPolicy(ctx: UseCaseContext, key: string): Promise<{ tickets: number }> {
  const { policy, version, calendar, ticketIds } = await staleTickets(ctx, key);
  for (const id of ticketIds) {
    const change = await TicketChange.load(ctx, id);
    const sla = await ctx.em.findOneOrFail(TicketSla, { ticketId: id });
    sla.policyVersion = version;
    sla.calendarVersion = calendar;
    sla.assignedAt = change.now;
    change.record(TicketEventType.SLA_POLICY_APPLIED, {
      policy: policy.key,
      version: version.version,
      explicit: true,
    });
    await change.commit();
  }
  return { tickets: ticketIds.length };
}
