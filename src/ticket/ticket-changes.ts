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
import { recomputeTicketSla } from '../sla/sla-service.js';
import type { StatusCategory } from '../workflow/definition.js';

const FINAL: StatusCategory[] = ['RESOLVED', 'CLOSED'];

/**
 * What the ticket use cases share: loading a ticket the actor may see at the version they expect,
 * moving its status, and committing the change with its events in one transaction.
 */
export class TicketChange {
  readonly events: NewEvent[] = [];
  readonly now: Date;

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

  /** Moves the ticket to `to` (the caller has checked the move is allowed) and records the transition. */
  moveTo(to: string, reason: string | undefined, actor: Actor = this.ctx.actor): void {
    const from = this.ticket.status;
    const wasFinal = FINAL.includes(this.ticket.statusCategory);
    this.ticket.status = to;
    this.ticket.statusCategory = categoryOf(this.def, to);
    const isFinal = FINAL.includes(this.ticket.statusCategory);
    if (isFinal && !wasFinal) this.ticket.resolvedAt = this.now;
    if (!isFinal && wasFinal) this.ticket.resolvedAt = undefined;
    this.touch();
    this.record(TicketEventType.STATUS_CHANGED, { from, to, reason: reason ?? null }, { actor });
  }

  assign(assigneeId: string | undefined, actor: Actor = this.ctx.actor): void {
    const from = this.ticket.assignee?.id ?? null;
    if (from === (assigneeId ?? null)) return;
    this.ticket.assignee = assigneeId ? this.ctx.em.getReference(User, assigneeId) : undefined;
    this.touch();
    this.record(TicketEventType.TICKET_ASSIGNED, { from, to: assigneeId ?? null }, { actor });
  }

  touch(): void {
    this.ticket.updatedAt = this.now;
  }

  /** Flushes the entity changes, then appends the events last (see appendEvents for why last). */
  async commit(): Promise<void> {
    try {
      await this.ctx.em.flush();
    } catch (err) {
      if (err instanceof OptimisticLockError)
        throw new StaleVersionError(this.ticket.version, this.ticket.version + 1);
      throw err;
    }
    const sla = await recomputeTicketSla(this.ctx.em, this.ticket, this.def, this.events, this.now);
    await appendEvents(this.ctx.em, [...this.events, ...sla]);
  }
}

/** Runs `work` in a transaction on a fork of the context's entity manager; nothing is written if it throws. */
export async function inTransaction<T>(
  ctx: UseCaseContext,
  work: (ctx: UseCaseContext) => Promise<T>,
): Promise<T> {
  return ctx.em.transactional((em) => work({ ...ctx, em }));
}
