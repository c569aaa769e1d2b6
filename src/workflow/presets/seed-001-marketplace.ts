/**
 * Seed 001: a B2B marketplace's Customer Care ("My Tickets: your ticket's lifespan explained").
 *
 * Where each rule comes from (quoted from the seed document):
 * - New: "You have opened your ticket correctly and you should receive an automatic response with the
 *   reference number" → the initial status.
 * - To do next: "Your ticket is categorized automatically according to the information you entered when you
 *   created the ticket. It is then prioritized on the queue and selected for a first check." → intakeStatus
 *   (the system moves New → To do next once categorised and prioritised) and the keyword categorisation.
 * - L1 in progress: "One of our Customer Care agents is already checking".
 * - L2 in progress: "The ticket has been escalated to one of our Product teams." → escalation to tier 2 from
 *   To do next / L1 in progress moves the ticket to L2 in progress.
 * - Waiting on Seller / Waiting on Buyer: "After waiting 3 days for a response, we will send a kind reminder -
 *   our system sends 3 automatic reminders." → REMIND after P3D, every P3D, at most 3.
 *   "After waiting 30 days for a response, we inform you that the ticket is now considered closed." → MOVE
 *   after P30D to Closed. "if you don't want the ticket to be closed, you should comment on the ticket" → a
 *   requester reply there moves the ticket to Waiting on support.
 * - Waiting on support (the seed's "Waiting on TGX"): "when one of the Partners involved sends us a comment
 *   and it is waiting for our Customer Care team's response." → a partner comment in any in-progress or
 *   waiting status moves the ticket there.
 * - Resolved: "This status is not definitive and you can still respond to this ticket in the following 7 days
 *   if you don't agree with the solution. After this period, your ticket will be permanently closed." → a
 *   requester reply on Resolved reopens it (to Waiting on support); MOVE after P7D to Closed.
 * - Closed: "This ticket is considered completely resolved and it cannot be reopened." → no move out of
 *   Closed; replies and partner comments there are REJECTed. "If a ticket is in this status, it means that
 *   there have been at least 30 days waiting for a response in either Waiting on Seller or Waiting on
 *   Buyer, or 7 days after it's Resolved." → only the timers close; by hand, only an admin, with a reason.
 * - Categorisation (the seed names no categories; ours, for a travel-tech marketplace, first rule wins):
 *   booking ← booking, bookings, reservation, reservations, voucher, cancellation;
 *   connectivity ← connection, connectivity, timeout, timeouts, api, endpoint, credentials, mapping;
 *   billing ← invoice, invoices, billing, payment, payments, fee, fees;
 *   account ← account, login, password, access, user, users;
 *   otherwise "general".
 */
import type { WorkflowPreset } from '../definition.js';

/*
 * Notifications, each a promise of the seed (to the requester and anyone they added "to the loop"):
 * - New: "you should receive an automatic response with the reference number, subject and description."
 * - Waiting on Seller/Buyer: "You will receive a few automatic messages ... After waiting 3 days for a
 *   response, we will send a kind reminder - our system sends 3 automatic reminders."
 * - "After waiting 30 days for a response, we inform you that the ticket is now considered closed." →
 *   the timer's move from Waiting on seller/buyer to Closed (not the quiet close 7 days after Resolved).
 * - Resolved: "Once your ticket has been considered resolved, you will receive an email explaining the
 *   resolution." (The seed promises nothing for other replies: the app shows them.)
 */

const WORKING = ['to_do_next', 'l1_in_progress', 'l2_in_progress', 'waiting_on_seller', 'waiting_on_buyer'];

export const marketplacePreset: WorkflowPreset = {
  key: 'marketplace',
  name: 'Marketplace',
  description:
    'Seed 001: a marketplace Customer Care desk with L1/L2 teams, waiting on seller or buyer with reminders, ' +
    'partner comments, a 7-day dispute window after Resolved and a final Closed.',
  definition: {
    initialStatus: 'new',
    intakeStatus: 'to_do_next',
    statuses: [
      { key: 'new', name: 'New', category: 'NEW', description: 'Opened; the reference number was sent.' },
      {
        key: 'to_do_next',
        name: 'To do next',
        category: 'OPEN',
        description: 'Categorised and prioritised automatically; queued for a first check.',
      },
      {
        key: 'l1_in_progress',
        name: 'L1 in progress',
        category: 'OPEN',
        description: 'A Customer Care agent is working on it.',
      },
      {
        key: 'l2_in_progress',
        name: 'L2 in progress',
        category: 'OPEN',
        description: 'Escalated to a Product team.',
      },
      {
        key: 'waiting_on_seller',
        name: 'Waiting on seller',
        category: 'WAITING_ON_REQUESTER',
        description: "Waiting for more information or the seller's comments.",
      },
      {
        key: 'waiting_on_buyer',
        name: 'Waiting on buyer',
        category: 'WAITING_ON_REQUESTER',
        description: "Waiting for more information or the buyer's comments.",
      },
      {
        key: 'waiting_on_support',
        name: 'Waiting on support',
        category: 'OPEN',
        description:
          'A partner commented; waiting for Customer Care\'s response (the seed\'s "Waiting on TGX").',
      },
      {
        key: 'resolved',
        name: 'Resolved',
        category: 'RESOLVED',
        description: 'Resolution sent; can be disputed for 7 days, then closed.',
      },
      {
        key: 'closed',
        name: 'Closed',
        category: 'CLOSED',
        description: 'Completely resolved; cannot be reopened.',
      },
    ],
    transitions: [
      { from: ['new'], to: 'to_do_next', actors: ['AGENT'], requiresReason: false, reopen: false },
      {
        from: ['new', 'to_do_next', 'waiting_on_seller', 'waiting_on_buyer', 'waiting_on_support'],
        to: 'l1_in_progress',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['to_do_next', 'l1_in_progress', 'waiting_on_seller', 'waiting_on_buyer', 'waiting_on_support'],
        to: 'l2_in_progress',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['l1_in_progress', 'l2_in_progress', 'waiting_on_buyer', 'waiting_on_support'],
        to: 'waiting_on_seller',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['l1_in_progress', 'l2_in_progress', 'waiting_on_seller', 'waiting_on_support'],
        to: 'waiting_on_buyer',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: [...WORKING, 'waiting_on_support'],
        to: 'resolved',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      // "you can still respond to this ticket in the following 7 days if you don't agree with the solution"
      { from: ['resolved'], to: 'l1_in_progress', actors: ['AGENT'], requiresReason: true, reopen: true },
      // "Closed … means that there have been at least 30 days waiting for a response in either Waiting on
      // Seller or Waiting on Buyer, or 7 days after it's Resolved": Closed is the timers' to reach. Only an
      // admin closes by hand, with a reason (a correction, say); agents cannot (issue 12).
      {
        from: ['waiting_on_seller', 'waiting_on_buyer', 'resolved'],
        to: 'closed',
        actors: ['ADMIN'],
        requiresReason: true,
        reopen: false,
      },
      // No move out of Closed: "it cannot be reopened".
    ],
    requesterReplies: [
      { status: 'waiting_on_seller', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'waiting_on_buyer', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'resolved', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'closed', action: 'REJECT' },
    ],
    partnerComments: [
      { status: 'l1_in_progress', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'l2_in_progress', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'waiting_on_seller', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'waiting_on_buyer', action: 'MOVE', to: 'waiting_on_support' },
      { status: 'closed', action: 'REJECT' },
    ],
    escalations: [{ toTier: 2, fromStatuses: ['to_do_next', 'l1_in_progress'], moveTo: 'l2_in_progress' }],
    categorisation: {
      categories: ['booking', 'connectivity', 'billing', 'account', 'general'],
      defaultCategory: 'general',
      rules: [
        {
          category: 'booking',
          keywords: ['booking', 'bookings', 'reservation', 'reservations', 'voucher', 'cancellation'],
        },
        {
          category: 'connectivity',
          keywords: [
            'connection',
            'connectivity',
            'timeout',
            'timeouts',
            'api',
            'endpoint',
            'credentials',
            'mapping',
          ],
        },
        {
          category: 'billing',
          keywords: ['invoice', 'invoices', 'billing', 'payment', 'payments', 'fee', 'fees'],
        },
        { category: 'account', keywords: ['account', 'login', 'password', 'access', 'user', 'users'] },
      ],
    },
    timers: [
      { status: 'waiting_on_seller', action: 'REMIND', after: 'P3D', repeatEvery: 'P3D', maxCount: 3 },
      { status: 'waiting_on_seller', action: 'MOVE', after: 'P30D', to: 'closed' },
      { status: 'waiting_on_buyer', action: 'REMIND', after: 'P3D', repeatEvery: 'P3D', maxCount: 3 },
      { status: 'waiting_on_buyer', action: 'MOVE', after: 'P30D', to: 'closed' },
      { status: 'resolved', action: 'MOVE', after: 'P7D', to: 'closed' },
    ],
    notifications: [
      { on: 'TICKET_CREATED', recipients: ['REQUESTER', 'PARTICIPANTS'], template: 'ticket-received' },
      {
        on: 'REMINDER',
        statuses: ['waiting_on_seller', 'waiting_on_buyer'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'reminder',
      },
      {
        on: 'AUTO_MOVE',
        statuses: ['closed'],
        fromStatuses: ['waiting_on_seller', 'waiting_on_buyer'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'closed-no-response',
      },
      {
        on: 'STATUS_ENTERED',
        statuses: ['resolved'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'resolution',
      },
    ],
  },
};
