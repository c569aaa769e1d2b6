import type { EntityManager } from '@mikro-orm/postgresql';
import type { Ticket } from '../ticket/ticket.entity.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { TicketTimer } from './ticket-timer.entity.js';
import { timersOnEntering } from './timers.js';

/** The ticket entered a status: its previous timers stop and the new status's timers start now. */
export async function restartTimers(
  em: EntityManager,
  ticket: Ticket,
  def: WorkflowDefinition,
  now: Date,
): Promise<void> {
  await em.nativeDelete(TicketTimer, { ticketId: ticket.id });
  for (const plan of timersOnEntering(def, ticket.status, now.getTime())) {
    em.create(TicketTimer, {
      ticketId: ticket.id,
      timerIndex: plan.timerIndex,
      status: ticket.status,
      enteredAt: now,
      fireAt: new Date(plan.fireAt),
      firedCount: 0,
    });
  }
  await em.flush();
}
