import { canManageWorkflows } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import { NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { TicketChange } from '../ticket/ticket-changes.js';
import { definitionOf } from '../workflow/workflow-store.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { choosePolicy, currentCalendarVersion, evaluateTicketSla, policyDefinition } from './sla-service.js';
import { Organization } from '../directory/organization.entity.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';
import { slaFacts } from '../ticket/sla-facts.js';
import { SlaPolicy, SlaPolicyVersion, TicketSla, TicketSlaTarget } from './sla.entity.js';

export interface PolicyPreviewRow {
  ticketId: string;
  kind: string;
  currentState?: string;
  currentDueAt?: Date;
  newState: string;
  newDueAt?: Date;
  /** The policy version the ticket would be on; null: none matches it (it would have no SLA). */
  newPolicy: { key: string; name: string; version: number } | null;
}

const LIMIT = 1000;

/**
 * The tickets an admin may move off this policy, oldest first (at most LIMIT): the open tickets (not
 * resolved or closed) on an older version of an active policy (or of its calendar), or, when the
 * policy is deactivated (issue 12: "a withdrawn SLA policy cannot be left"), every open ticket on any
 * version of it: those move to whatever policy matches them now (or to none).
 */
async function staleTickets(ctx: UseCaseContext, key: string) {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('apply SLA policies');
  const policy = await ctx.em.findOne(SlaPolicy, { key });
  if (!policy) throw new NotFoundError('SLA policy', key);
  if (!policy.active) {
    const rows = await ctx.em.execute<{ ticket_id: string }[]>(
      `select ts.ticket_id from ticket_sla ts
         join sla_policy_version v on v.id = ts.policy_version_id
         join ticket t on t.id = ts.ticket_id
        where v.policy_id = ? and t.status_category not in ('RESOLVED', 'CLOSED')
        order by t.created_at, t.id limit ${LIMIT}`,
      [policy.id],
    );
    return { policy, target: undefined, ticketIds: rows.map((r) => r.ticket_id) };
  }
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
  return { policy, target: { version, calendar }, ticketIds: rows.map((r) => r.ticket_id) };
}

/** What a deactivated policy's ticket would be put on now: the matching policy's current versions. */
async function replacementFor(ctx: UseCaseContext, ticket: Ticket) {
  const workflow = await ctx.em.findOneOrFail(WorkflowVersion, ticket.workflowVersion.id, {
    populate: ['workflow'],
  });
  const org = ticket.organization
    ? await ctx.em.findOne(Organization, ticket.organization.id, { populate: ['plan'] })
    : undefined;
  const choice = await choosePolicy(ctx.em, slaFacts(ticket, workflow.workflow.key, org?.plan?.name));
  if (!choice) return undefined;
  const calendar = await currentCalendarVersion(ctx.em, choice.definition.calendarKey);
  if (!calendar) throw new NotFoundError('Business calendar', choice.definition.calendarKey);
  const policy = await ctx.em.findOneOrFail(SlaPolicy, { key: choice.policyKey });
  return {
    ref: { key: policy.key, name: policy.name, version: choice.version },
    policyVersionId: choice.versionId,
    calendarVersionId: calendar.id,
  };
}

/**
 * A dry run: which open tickets on an older version of this policy (or of its calendar) would get which
 * new due dates if the current versions applied; for a deactivated policy, which policy each of its
 * open tickets would move to and with what due dates. Writes nothing.
 */
export async function previewSlaPolicy(ctx: UseCaseContext, key: string): Promise<PolicyPreviewRow[]> {
  const { policy, target, ticketIds } = await staleTickets(ctx, key);
  const now = ctx.clock.now();
  const out: PolicyPreviewRow[] = [];
  for (const id of ticketIds) {
    const ticket = await ctx.em.findOneOrFail(Ticket, id);
    const def = await definitionOf(ctx.em, ticket.workflowVersion.id);
    const next = target
      ? {
          ref: { key: policy.key, name: policy.name, version: target.version.version },
          policyVersionId: target.version.id,
          calendarVersionId: target.calendar.id,
        }
      : await replacementFor(ctx, ticket);
    const evaluated = next
      ? await evaluateTicketSla(ctx.em, ticket, def, now, [], {
          policyVersionId: next.policyVersionId,
          calendarVersionId: next.calendarVersionId,
        })
      : undefined;
    const current = new Map((await ctx.em.find(TicketSlaTarget, { ticketId: id })).map((r) => [r.kind, r]));
    const newPolicy = next?.ref ?? null;
    for (const r of evaluated?.results ?? []) {
      const before = current.get(r.kind);
      current.delete(r.kind);
      out.push({
        ticketId: id,
        kind: r.kind,
        currentState: before?.state,
        currentDueAt: before?.dueAt,
        newState: r.state,
        newDueAt: r.dueAt === undefined ? undefined : new Date(r.dueAt),
        newPolicy,
      });
    }
    // Targets the new policy does not have (or no policy at all): nothing will be due on them.
    for (const before of current.values())
      out.push({
        ticketId: id,
        kind: before.kind,
        currentState: before.state,
        currentDueAt: before.dueAt,
        newState: 'INACTIVE',
        newPolicy,
      });
  }
  return out;
}

/**
 * Moves the open tickets on older versions of this policy onto its current version (and its calendar's
 * current version), or, for a deactivated policy, every open ticket on it onto the policy that matches
 * it now (or none); recomputes their clocks and records SLA_POLICY_APPLIED (explicit) on each.
 */
export async function applySlaPolicy(ctx: UseCaseContext, key: string): Promise<{ tickets: number }> {
  const { policy, target, ticketIds } = await staleTickets(ctx, key);
  for (const id of ticketIds) {
    const change = await TicketChange.load(ctx, id);
    if (!target) {
      await change.reapplySlaPolicy({ explicit: true });
    } else {
      const sla = await ctx.em.findOneOrFail(TicketSla, { ticketId: id });
      sla.policyVersion = target.version;
      sla.calendarVersion = target.calendar;
      sla.assignedAt = change.now;
      change.record(TicketEventType.SLA_POLICY_APPLIED, {
        policy: policy.key,
        version: target.version.version,
        explicit: true,
      });
    }
    await change.commit();
  }
  return { tickets: ticketIds.length };
}
