import type { SlaFacts } from '../sla/sla-service.js';
import type { Ticket } from './ticket.entity.js';

/** What SLA policies are chosen by, for one ticket. */
export function slaFacts(ticket: Ticket, workflowKey: string, planName: string | undefined): SlaFacts {
  return {
    workflowKey,
    planName,
    priority: ticket.priority,
    channel: ticket.channel,
    organizationId: ticket.organization?.id,
    category: ticket.category,
  };
}
