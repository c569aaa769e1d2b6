import type { Ticket } from '../ticket/ticket.entity.js';
import { hasScope, type Actor, type Scope } from './actor.js';

/**
 * Who may do what, in one place.
 *
 * 1. Operations: OPERATIONS says, for every query, mutation and subscription, which actor kinds may
 *    call it (a partner key only with the scope named). The schema (src/server/schema.ts) checks it
 *    before every root resolver and refuses to build if an operation has no rule, and
 *    test/authorization.test.ts runs every operation as every actor kind against this table.
 * 2. Data: which tickets an actor reads (canReadTicketOf), which events it receives (canSeeEvent),
 *    internal notes (canSeeInternal) and people's contact details (canSeeContactOf). Requesters see
 *    their own tickets (and, when configured, their organization's) and never internal notes; partners
 *    see the tickets opened through their keys, never internal notes; agents and admins see everything.
 */
export interface VisibilityOptions {
  requestersSeeOrganizationTickets: boolean;
}

/** Who may call an operation. `partner` names the scope a partner key needs; absent: no partner. */
export interface OperationRule {
  requester: boolean;
  agent: boolean;
  admin: boolean;
  partner?: Scope;
}

const PEOPLE: OperationRule = { requester: true, agent: true, admin: true };
const STAFF: OperationRule = { requester: false, agent: true, admin: true };
const ADMIN: OperationRule = { requester: false, agent: false, admin: true };
const withPartner = (rule: OperationRule, partner: Scope): OperationRule => ({ ...rule, partner });

/** Every operation of the API. Anonymous callers may call none. */
export const OPERATIONS: Readonly<Record<string, OperationRule>> = {
  'Query.viewer': PEOPLE,
  'Query.agents': PEOPLE,
  'Query.teams': PEOPLE,
  'Query.workflow': PEOPLE,
  'Query.workflows': PEOPLE,
  'Query.node': withPartner(PEOPLE, 'tickets:read'),
  'Query.ticket': withPartner(PEOPLE, 'tickets:read'),
  'Query.ticketByReference': withPartner(PEOPLE, 'tickets:read'),
  'Query.tickets': withPartner(PEOPLE, 'tickets:read'),
  'Query.businessCalendars': STAFF,
  'Query.slaPolicies': STAFF,
  'Query.slaMetrics': STAFF,
  'Query.ticketsAtRisk': STAFF,
  'Query.previewSlaPolicy': ADMIN,
  'Query.partners': ADMIN,
  'Query.apiKeys': ADMIN,
  'Mutation.createTicket': withPartner(PEOPLE, 'tickets:write'),
  'Mutation.addComment': withPartner(PEOPLE, 'comments:write'),
  // Importing history from another help desk (src/import, docs/IMPORT.md).
  'Mutation.importTicket': withPartner(ADMIN, 'import'),
  'Mutation.importTickets': withPartner(ADMIN, 'import'),
  'Mutation.transitionTicket': PEOPLE,
  'Mutation.updateTicket': PEOPLE,
  'Mutation.assignTicket': STAFF,
  'Mutation.escalateTicket': STAFF,
  'Mutation.createWorkflow': ADMIN,
  'Mutation.updateWorkflow': ADMIN,
  'Mutation.createBusinessCalendar': ADMIN,
  'Mutation.updateBusinessCalendar': ADMIN,
  'Mutation.createSlaPolicy': ADMIN,
  'Mutation.updateSlaPolicy': ADMIN,
  'Mutation.setOrganizationLeadAgent': ADMIN,
  'Mutation.applySlaPolicy': ADMIN,
  'Mutation.createPartner': ADMIN,
  'Mutation.createApiKey': ADMIN,
  'Mutation.rotateApiKey': ADMIN,
  'Mutation.revokeApiKey': ADMIN,
  // Notifications, templates, participants, satisfaction (src/notify, docs/NOTIFICATIONS.md).
  'Query.notificationTemplates': STAFF,
  'Query.previewNotification': STAFF,
  'Query.notificationMessages': STAFF,
  'Query.csatMetrics': STAFF,
  'Mutation.saveNotificationTemplate': ADMIN,
  'Mutation.deleteNotificationTemplate': ADMIN,
  'Mutation.addTicketParticipant': PEOPLE,
  'Mutation.removeTicketParticipant': PEOPLE,
  'Mutation.followTicket': STAFF,
  'Mutation.unfollowTicket': STAFF,
  'Mutation.rateTicket': PEOPLE,
  // Inbound mail (src/inbound, docs/INBOUND.md).
  'Query.inboundEmails': STAFF,
  'Mutation.setOrganizationEmailDomains': ADMIN,
  'Mutation.createAttachmentUpload': withPartner(PEOPLE, 'comments:write'),
  'Subscription.ticketEvents': withPartner(PEOPLE, 'events:subscribe'),
  'Subscription.slaAlerts': withPartner(PEOPLE, 'events:subscribe'),
  'Subscription.queueStats': STAFF,
};

/** A refusal says what was refused: "You are not permitted to <action>" (or how to sign in). */
export type OperationCheck =
  | { ok: true }
  | { ok: false; code: 'UNAUTHENTICATED'; message: string }
  | { ok: false; code: 'NOT_PERMITTED'; action: string };

/** May `actor` call `operation` ("Query.tickets")? An operation missing from OPERATIONS is refused. */
export function mayCall(actor: Actor | undefined, operation: string): OperationCheck {
  if (!actor)
    return { ok: false, code: 'UNAUTHENTICATED', message: 'Sign in: send "Authorization: Bearer <token>"' };
  const rule = OPERATIONS[operation];
  const name = operation.slice(operation.indexOf('.') + 1);
  if (rule) {
    switch (actor.kind) {
      case 'SYSTEM':
        return { ok: true };
      case 'ADMIN':
        if (rule.admin) return { ok: true };
        break;
      case 'AGENT':
        if (rule.agent) return { ok: true };
        break;
      case 'REQUESTER':
        if (rule.requester) return { ok: true };
        break;
      case 'PARTNER':
        if (rule.partner && hasScope(actor, rule.partner)) return { ok: true };
        if (rule.partner)
          return {
            ok: false,
            code: 'NOT_PERMITTED',
            action: `use ${name} without the scope ${rule.partner}`,
          };
        break;
    }
  }
  return { ok: false, code: 'NOT_PERMITTED', action: `use ${name}` };
}

export const isStaff = (actor: Actor) =>
  actor.kind === 'AGENT' || actor.kind === 'ADMIN' || actor.kind === 'SYSTEM';

export const canSeeInternal = isStaff;

/** Whose a ticket is: all that reading rights depend on. */
export interface TicketOwnership {
  requesterId?: string;
  organizationId?: string;
  partnerId?: string;
  /** The ticket's participants (CCs): requesters who read it like its requester. */
  participantIds?: readonly string[];
}

export function canReadTicketOf(actor: Actor, owner: TicketOwnership, opts: VisibilityOptions): boolean {
  if (isStaff(actor)) return true;
  if (actor.kind === 'PARTNER') return actor.partnerId !== undefined && owner.partnerId === actor.partnerId;
  // A requester is someone: without an identity, nothing is theirs.
  if (actor.kind !== 'REQUESTER' || actor.userId === undefined) return false;
  if (owner.requesterId === actor.userId) return true;
  if (owner.participantIds?.includes(actor.userId)) return true;
  return (
    opts.requestersSeeOrganizationTickets &&
    actor.organizationId !== undefined &&
    owner.organizationId === actor.organizationId
  );
}

export const canReadTicket = (actor: Actor, ticket: Ticket, opts: VisibilityOptions): boolean =>
  canReadTicketOf(
    actor,
    {
      requesterId: ticket.requester.id,
      organizationId: ticket.organization?.id,
      partnerId: ticket.partnerId,
      participantIds: ticket.participantIds,
    },
    opts,
  );

/** An event of the log (history, subscriptions): on a ticket the actor may read, and internal ones for staff only. */
export const canSeeEvent = (
  actor: Actor,
  event: TicketOwnership & { internal: boolean },
  opts: VisibilityOptions,
): boolean => canReadTicketOf(actor, event, opts) && (!event.internal || canSeeInternal(actor));

/**
 * Every path to an object applies that object's read rule (issue 12 item 2): `node(id:)` and any field
 * that takes an object's id first ask whether the caller may call the object's own root query (the
 * same OPERATIONS rule, so a partner key never reads a Team through `node` when `teams` refuses it),
 * then the object's data rule (canReadNodeData in src/server/node.resolver.ts: tickets by
 * canReadTicketOf, internal notes for staff, people for staff and themselves, organizations and
 * their plans for staff and their members). Types without a root query of their own name the
 * query that reaches them (a comment through its ticket, an organization and its plan through
 * `viewer`). Every Node type of the schema must be listed: test/authorization.test.ts checks it.
 */
export const NODE_READ_OPERATION: Readonly<Record<string, string>> = {
  Ticket: 'Query.ticket',
  Comment: 'Query.ticket',
  User: 'Query.viewer',
  Organization: 'Query.viewer',
  Plan: 'Query.viewer',
  Team: 'Query.teams',
  Workflow: 'Query.workflow',
  Partner: 'Query.partners',
  ApiKey: 'Query.apiKeys',
};

/** May `actor` reach objects of a Node type at all (the operation rule of NODE_READ_OPERATION)? */
export function mayReadNodeType(actor: Actor, type: string): boolean {
  const operation = NODE_READ_OPERATION[type];
  return operation !== undefined && mayCall(actor, operation).ok;
}

export const canManageTickets = isStaff;
export const canManageWorkflows = (actor: Actor) => actor.kind === 'ADMIN';
/** Contact details of people are for staff and for the person themselves. */
export const canSeeContactOf = (actor: Actor, userId: string) => isStaff(actor) || actor.userId === userId;
