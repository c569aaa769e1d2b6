import { LockMode, OptimisticLockError } from '@mikro-orm/core';
import type { Actor } from '../access/actor.js';
import { User } from '../directory/user.entity.js';
import { canReadTicket } from '../access/policy.js';
import { appendEvents, type NewEvent } from '../events/event-log.js';
import { TicketEventType } from '../events/event-types.js';
import { NotFoundError, StaleVersionError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { categoryOf } from '../workflow/rules.js';
import { definitionOf } from '../workflow/workflow-store.js';
import { Ticket } from './ticket.entity.js';
import { applyMatchingPolicy, recomputeTicketSla, type BreachToHandle } from '../sla/sla-service.js';
import { restartTimers } from '../scheduler/restart-timers.js';
import { SYSTEM_ACTOR } from '../access/actor.js';
import { Team } from '../directory/team.entity.js';
import { Priority } from '../shared/enums.js';
import { escalationRule } from '../workflow/rules.js';
import { MAX_TIER } from '../workflow/validate.js';
import { leastLoadedAgent } from './assignment.js';
import type { StatusCategory } from '../workflow/definition.js';
import { surveysOnEntering } from '../notify/survey.js';
import { Organization } from '../directory/organization.entity.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';
import { slaFacts } from './sla-facts.js';

const FINAL: StatusCategory[] = ['RESOLVED', 'CLOSED'];
/** A safety bound on breach-action rounds in one change (each needs a new breach: at most one per kind). */
const MAX_BREACH_ROUNDS = 8;

/**
 * What the ticket use cases share: loading a ticket the actor may see at the version they expect,
 * moving its status, and committing the change with its events in one transaction.
 */
export class TicketChange {
  readonly events: NewEvent[] = [];
  readonly now: Date;
  /** Set when the ticket entered a status (or was created): its workflow timers start again. */
  enteredStatus = false;
  /** The category of the status the ticket entered last in this change (satisfaction surveys). */
  private enteredCategory?: StatusCategory;

  constructor(
    readonly ctx: UseCaseContext,
    readonly ticket: Ticket,
    readonly def: WorkflowDefinition,
  ) {
    this.now = ctx.clock.now();
  }

  static async load(ctx: UseCaseContext, ticketId: string, expectedVersion?: number): Promise<TicketChange> {
    // The row is locked for the rest of the transaction: concurrent changes of one ticket queue up
    // instead of failing late, and `expectedVersion` is then checked against the committed version.
    const ticket = await ctx.em.findOne(Ticket, ticketId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!ticket || !canReadTicket(ctx.actor, ticket, ctx.visibility))
      throw new NotFoundError('Ticket', ticketId);
    if (expectedVersion !== undefined && expectedVersion !== ticket.version) {
      throw new StaleVersionError(expectedVersion, ticket.version);
    }
    return new TicketChange(ctx, ticket, await definitionOf(ctx.em, ticket.workflowVersion.id));
  }

  record(
    type: TicketEventType,
    payload: Record<string, unknown>,
    opts: { actor?: Actor; internal?: boolean } = {},
  ): void {
    this.events.push({
      ticketId: this.ticket.id,
      type,
      actor: opts.actor ?? this.ctx.actor,
      payload,
      internal: opts.internal,
      occurredAt: this.now,
    });
  }

  /**
   * Moves the ticket to `to` (the caller has checked the move is allowed) and records the transition.
   * `extra` adds to the event's payload (a workflow timer's move says `timer: true`).
   */
  moveTo(
    to: string,
    reason: string | undefined,
    actor: Actor = this.ctx.actor,
    extra: Record<string, unknown> = {},
  ): void {
    const from = this.ticket.status;
    const wasFinal = FINAL.includes(this.ticket.statusCategory);
    this.ticket.status = to;
    this.ticket.statusCategory = categoryOf(this.def, to);
    const isFinal = FINAL.includes(this.ticket.statusCategory);
    if (isFinal && !wasFinal) this.ticket.resolvedAt = this.now;
    if (!isFinal && wasFinal) this.ticket.resolvedAt = undefined;
    this.enteredStatus = true;
    this.enteredCategory = this.ticket.statusCategory;
    this.touch();
    this.record(TicketEventType.STATUS_CHANGED, { from, to, reason: reason ?? null, ...extra }, { actor });
  }

  assign(assigneeId: string | undefined, actor: Actor = this.ctx.actor): void {
    const from = this.ticket.assignee?.id ?? null;
    if (from === (assigneeId ?? null)) return;
    this.ticket.assignee = assigneeId ? this.ctx.em.getReference(User, assigneeId) : undefined;
    this.touch();
    this.record(TicketEventType.TICKET_ASSIGNED, { from, to: assigneeId ?? null }, { actor });
  }

  /**
   * Raises the ticket to `toTier`: the workflow's escalation rule may move its status, and it goes to
   * the least-loaded available agent of that tier (or nobody).
   */
  async escalate(toTier: number, reason: string, actor: Actor = this.ctx.actor): Promise<void> {
    const fromTier = this.ticket.tier;
    this.ticket.tier = toTier;
    this.touch();
    this.record(TicketEventType.TICKET_ESCALATED, { fromTier, toTier, reason }, { actor });
    const rule = escalationRule(this.def, this.ticket.status, toTier);
    if (rule?.moveTo && rule.moveTo !== this.ticket.status)
      this.moveTo(rule.moveTo, `Escalated to tier ${toTier}`, actor);
    this.assign(
      await leastLoadedAgent(this.ctx.em, { tier: toTier, teamId: this.ticket.team?.id }),
      SYSTEM_ACTOR,
    );
  }

  /** Adds a tag (a timer's "No Response"), recording it. */
  tag(tag: string, actor: Actor = this.ctx.actor): void {
    if (this.ticket.tags.includes(tag)) return;
    this.ticket.tags = [...this.ticket.tags, tag];
    this.touch();
    this.record(TicketEventType.TAGS_CHANGED, { added: [tag], removed: [] }, { actor });
  }

  touch(): void {
    this.ticket.updatedAt = this.now;
  }

  /**
   * Flushes the entity changes; restarts the workflow timers if the ticket entered a status; recomputes
   * its SLA (recording achievements, warnings and breaches, and carrying out breach actions); then
   * appends the events last (see appendEvents for why last).
   */
  async commit(): Promise<void> {
    const { em } = this.ctx;
    await this.flush();
    // A breach action may move the ticket again (an escalation rule's status, a priority raise that
    // re-chooses the policy): then its timers and clock are brought up to date once more. Each breach
    // is recorded (and acted on) once per target and cycle, and a round goes on only when an action
    // changed something, so this ends: at most one round per target kind, plus the last recompute.
    for (let round = 0; ; round++) {
      if (this.enteredStatus) {
        await restartTimers(em, this.ticket, this.def, this.now);
        this.enteredStatus = false;
      }
      const sla = await recomputeTicketSla(em, this.ticket, this.def, this.events, this.now);
      this.events.push(...sla.events);
      if (round > MAX_BREACH_ROUNDS || !(await this.onBreach(sla.breaches))) break;
      await this.flush();
    }
    if (this.enteredCategory) {
      const opened = await surveysOnEntering(em, this.ticket, this.def, this.enteredCategory, this.now);
      if (opened) this.record(TicketEventType.SATISFACTION_SURVEY_OPENED, opened, { actor: SYSTEM_ACTOR });
    }
    await appendEvents(em, this.events);
    this.ctx.touched?.add(this.ticket.id);
  }

  private async flush(): Promise<void> {
    try {
      await this.ctx.em.flush();
    } catch (err) {
      if (err instanceof OptimisticLockError)
        throw new StaleVersionError(this.ticket.version, this.ticket.version + 1);
      throw err;
    }
  }

  /**
   * Puts the ticket on the SLA policy that matches it now (after its priority or category changed, by
   * an agent or by a breach action), recording SLA_POLICY_APPLIED when the policy version changes.
   */
  async reapplySlaPolicy(opts: { explicit?: boolean } = {}): Promise<void> {
    const { em } = this.ctx;
    const workflow = await em.findOneOrFail(WorkflowVersion, this.ticket.workflowVersion.id, {
      populate: ['workflow'],
    });
    const org = this.ticket.organization
      ? await em.findOne(Organization, this.ticket.organization.id, { populate: ['plan'] })
      : undefined;
    const applied = await applyMatchingPolicy(
      em,
      this.ticket,
      slaFacts(this.ticket, workflow.workflow.key, org?.plan?.name),
      this.now,
      opts.explicit,
    );
    if (applied) this.events.push(applied);
  }

  /**
   * The policy's action on a breach, as the system: raise the tier, move to a team, raise the priority.
   * Issue 12: a ticket in a RESOLVED or CLOSED status is never moved, escalated or reprioritised by a
   * breach (the breach itself is recorded), also when the change that resolved it is the late reply
   * that found the breach. A priority raise chooses the SLA policy again, as an agent's change does.
   */
  private async onBreach(breaches: BreachToHandle[]): Promise<boolean> {
    if (FINAL.includes(this.ticket.statusCategory)) return false;
    let changed = false;
    for (const b of breaches) {
      const reason = `SLA ${b.kind} breached`;
      if (b.action === 'RAISE_TIER' && this.ticket.tier < MAX_TIER) {
        await this.escalate(this.ticket.tier + 1, reason, SYSTEM_ACTOR);
        changed = true;
      } else if (b.action === 'RAISE_PRIORITY') {
        const next = PRIORITY_UP[this.ticket.priority];
        if (next) {
          this.record(
            TicketEventType.TICKET_UPDATED,
            { changes: { priority: { from: this.ticket.priority, to: next } }, reason },
            { actor: SYSTEM_ACTOR },
          );
          this.ticket.priority = next;
          this.touch();
          await this.reapplySlaPolicy();
          changed = true;
        }
      } else if (b.action === 'MOVE_TO_TEAM' && b.teamKey) {
        const team = await this.ctx.em.findOne(Team, { key: b.teamKey });
        if (team && this.ticket.team?.id !== team.id) {
          this.record(
            TicketEventType.TICKET_UPDATED,
            { changes: { team: { from: this.ticket.team?.id ?? null, to: team.id } }, reason },
            { actor: SYSTEM_ACTOR },
          );
          this.ticket.team = team;
          this.touch();
          changed = true;
        }
      }
    }
    return changed;
  }
}

const PRIORITY_UP: Record<Priority, Priority | undefined> = {
  [Priority.LOW]: Priority.MEDIUM,
  [Priority.MEDIUM]: Priority.HIGH,
  [Priority.HIGH]: Priority.CRITICAL,
  [Priority.CRITICAL]: undefined,
};

/** Runs `work` in a transaction on a fork of the context's entity manager; nothing is written if it throws. */
export async function inTransaction<T>(
  ctx: UseCaseContext,
  work: (ctx: UseCaseContext) => Promise<T>,
): Promise<T> {
  return ctx.em.transactional((em) => work({ ...ctx, em }));
}
