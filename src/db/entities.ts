import { ApiKey, Partner } from '../access/api-key.entity.js';
import { Organization } from '../directory/organization.entity.js';
import { Plan } from '../directory/plan.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { TicketEvent } from '../events/ticket-event.entity.js';
import {
  BusinessCalendarEntity,
  BusinessCalendarVersion,
  SlaPolicy,
  SlaPolicyVersion,
  TicketSla,
  TicketSlaTarget,
} from '../sla/sla.entity.js';
import { Comment } from '../ticket/comment.entity.js';
import { TicketRelation } from '../ticket/ticket-relation.entity.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { Workflow, WorkflowVersion } from '../workflow/workflow.entity.js';
import { TicketTimer } from '../scheduler/ticket-timer.entity.js';

export const ENTITIES = [
  Plan,
  Organization,
  Team,
  User,
  Workflow,
  WorkflowVersion,
  Ticket,
  Comment,
  TicketRelation,
  TicketEvent,
  BusinessCalendarEntity,
  BusinessCalendarVersion,
  SlaPolicy,
  SlaPolicyVersion,
  TicketSla,
  TicketSlaTarget,
  TicketTimer,
  Partner,
  ApiKey,
];
