/**
 * Seed 004: a knowledge-base portal's ticket tracking ("Manage and track the status of your existing
 * ticket(s)").
 *
 * Where each rule comes from (quoted from the seed document):
 * - In queue: "In queue for Processing: We will work on your ticket as soon as possible." → initial status.
 * - Processing: "We are actively working on your ticket." (agent move)
 * - Awaiting your reply: "We need you to provide more information about your ticket." (agent move)
 * - Resolved: "We have provided you with a final response to your ticket." (agent move)
 * - Closed: "We are no longer handling this ticket."
 * - Reopened: "You have requested to reopen your ticket"; "You can always reply again to your own ticket at any
 *   time of the process, even when our team considers it as resolved or closed. Our system will then
 *   automatically reopen it regardless" → a requester reply on Awaiting your reply, Resolved or Closed
 *   moves the ticket to Reopened; agents (and the requester) may also reopen Resolved/Closed by hand, with a
 *   reason.
 * - "Any ticket resolved will be automatically closed after 48h as we consider you chose not to reopen it." →
 *   MOVE after PT48H from Resolved to Closed.
 * - "Any ticket awaiting for your reply for more than 7 days will be automatically closed after our system will
 *   have sent a brief reminder to your inbox." → one REMIND (our choice: after P3D, maxCount 1) and MOVE after
 *   P7D to Closed.
 * - "This additional information may help us to select the best team to respond to your query." → keyword
 *   categorisation (our categories, first rule wins):
 *     access ← login, password, access, account, sso, locked
 *     billing ← invoice, invoices, billing, payment, subscription, refund
 *     technical ← error, errors, bug, broken, crash, install, installation
 *     content ← article, articles, documentation, docs, typo, link
 *   otherwise "general".
 * - No tiers are described: no escalation rules.
 */
import type { WorkflowPreset } from '../definition.js';

/*
 * Notifications, each a promise of the seed:
 * - "Any ticket awaiting for your reply for more than 7 days will be automatically closed after our
 *   system will have sent a brief reminder to your inbox."
 * - "when we provide you with a resolution and your ticket is set to the status "resolved", a survey
 *   will be displayed" → a satisfaction survey on entering Resolved (good / bad), shown in the portal
 *   (rateTicket) and sent with one-click links; open for 7 days or until the ticket closes (48 h).
 */

const ACTIVE = ['in_queue', 'processing', 'awaiting_your_reply', 'reopened'];

export const knowledgeBasePreset: WorkflowPreset = {
  key: 'knowledge-base',
  name: 'Knowledge base',
  description:
    'Seed 004: a knowledge-base support portal. Tickets are handled in chronological order; any requester reply ' +
    'reopens a ticket, even a resolved or closed one; Resolved closes after 48 h; Awaiting your reply closes ' +
    'after 7 days and one reminder.',
  definition: {
    initialStatus: 'in_queue',
    statuses: [
      {
        key: 'in_queue',
        name: 'In queue',
        category: 'NEW',
        description: 'In queue for processing; handled in chronological order.',
      },
      { key: 'processing', name: 'Processing', category: 'OPEN', description: 'Actively being worked on.' },
      {
        key: 'awaiting_your_reply',
        name: 'Awaiting your reply',
        category: 'WAITING_ON_REQUESTER',
        description: 'More information is needed from the requester.',
      },
      {
        key: 'resolved',
        name: 'Resolved',
        category: 'RESOLVED',
        description: 'A final response was given; a satisfaction survey is shown.',
      },
      {
        key: 'closed',
        name: 'Closed',
        category: 'CLOSED',
        description: 'No longer handled; a reply reopens it.',
      },
      {
        key: 'reopened',
        name: 'Reopened',
        category: 'OPEN',
        description: 'The requester replied or asked to reopen the ticket.',
      },
    ],
    transitions: [
      {
        from: ['in_queue', 'awaiting_your_reply', 'reopened'],
        to: 'processing',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['in_queue', 'processing', 'reopened'],
        to: 'awaiting_your_reply',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      { from: ACTIVE, to: 'resolved', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: [...ACTIVE, 'resolved'], to: 'closed', actors: ['AGENT'], requiresReason: true, reopen: false },
      // "You have requested to reopen your ticket"
      {
        from: ['resolved', 'closed'],
        to: 'reopened',
        actors: ['REQUESTER', 'AGENT'],
        requiresReason: true,
        reopen: true,
      },
    ],
    requesterReplies: [
      { status: 'awaiting_your_reply', action: 'MOVE', to: 'reopened' },
      { status: 'resolved', action: 'MOVE', to: 'reopened' },
      { status: 'closed', action: 'MOVE', to: 'reopened' },
    ],
    partnerComments: [],
    escalations: [],
    categorisation: {
      categories: ['access', 'billing', 'technical', 'content', 'general'],
      defaultCategory: 'general',
      rules: [
        { category: 'access', keywords: ['login', 'password', 'access', 'account', 'sso', 'locked'] },
        {
          category: 'billing',
          keywords: ['invoice', 'invoices', 'billing', 'payment', 'subscription', 'refund'],
        },
        {
          category: 'technical',
          keywords: ['error', 'errors', 'bug', 'broken', 'crash', 'install', 'installation'],
        },
        { category: 'content', keywords: ['article', 'articles', 'documentation', 'docs', 'typo', 'link'] },
      ],
    },
    timers: [
      { status: 'awaiting_your_reply', action: 'REMIND', after: 'P3D', maxCount: 1 },
      { status: 'awaiting_your_reply', action: 'MOVE', after: 'P7D', to: 'closed' },
      { status: 'resolved', action: 'MOVE', after: 'PT48H', to: 'closed' },
    ],
    notifications: [
      {
        on: 'REMINDER',
        statuses: ['awaiting_your_reply'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'reminder',
      },
      { on: 'SATISFACTION_SURVEY', recipients: ['REQUESTER'], template: 'satisfaction-survey' },
    ],
    satisfaction: { category: 'RESOLVED', scale: 'GOOD_BAD', openFor: 'P7D' },
  },
};
