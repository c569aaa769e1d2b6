/**
 * Seed 000: a managed-service desk (virtual assistants and experts working on marketplace platforms).
 *
 * Where each rule comes from (quoted from the seed document):
 * - Statuses, in order: Open → Client responded → Ready (validated) → In progress → Awaiting platform
 *   reply / internal QC → Awaiting client reply → Feedback/Answered → Resolved; Cancelled (DOMAIN.md).
 * - Open: "This is the first status when your ticket is submitted successfully via portal, email or call."
 * - Client responded: "The customer response to our ticket task via email or portal." → a requester reply
 *   while we wait on the client (Awaiting client reply, Feedback/Answered, Resolved) moves the ticket there.
 * - Ready (validated): "the Virtual Assistant checked and validate that the information if sufficient and
 *   ready to work by one of our Virtual Experts."
 * - Open → In progress: "When the task ticket transfer from Open to In Progress." and back
 *   "When the task ticket transfer from In progress to Open." (agent moves).
 * - Awaiting platform reply / internal QC (one status, WAITING_ON_THIRD_PARTY): "The task needs response from
 *   one of the supported Marketplace platform you requested. Or, Our Team Leaders are checking the output
 *   for quality control" → a partner comment there moves the ticket back to In progress.
 * - Cancelled: "When the task requested to cancelled by client." → the requester (and an agent) may cancel,
 *   with a reason. "Also, this status used when you didn't response on the ticket." → the 15-day timer
 *   on Awaiting client reply moves to Cancelled. A reply on a cancelled ticket opens a linked follow-up
 *   ("All revision requests will be created a new ticket by the team.").
 * - Resolved: "No action needed but can reopen if necessary." → agents may reopen (with a reason) and a
 *   requester reply moves it to Client responded. "Also, this status used when you didn't response on the
 *   ticket." → the 15-day timer on Feedback/Answered moves to Resolved.
 * - Feedback/Answered (RESOLVED category): "This status used when we believe no need further action."
 * - 15 days: "When the task ticket automatic change by the system policy 15 days of no response from the
 *   client." → MOVE after P15D, tagged "No client response".
 * - Courtesy follow-ups: "Our Virtual Team are trained to make follow up via SMS, Email or Call on a courtesy
 *   basis. The courtesy follow up works when there is no response from client or platform." → REMIND after
 *   P3D, then every P3D, at most 4 (days 3, 6, 9 and 12, all before the 15-day end) in Awaiting client reply
 *   and in Awaiting platform reply / internal QC. The seed states no schedule: this one is our choice.
 * - No tiers are described: no escalation rules.
 * - Categorisation is not described by the seed; a small set: "revision" (the seed's revision requests),
 *   "question", default "task".
 *   Keywords: revision ← revision, revisions, revise, redo, rework, correction;
 *   question ← question, questions, how, why, clarify, clarification.
 */
import type { WorkflowPreset } from '../definition.js';

/*
 * Notifications (what the seed promises by email, and nothing else):
 * - "Our Virtual Team are trained to make follow up via SMS, Email or Call on a courtesy basis. The
 *   courtesy follow up works when there is no response from client or platform." → the reminder timers
 *   of Awaiting client reply send the client a courtesy follow-up. (Awaiting platform reply's reminders
 *   are for the platform, a partner: they reach it by webhooks, not the client's inbox.)
 * - "The customer response to our ticket task via email or portal." → the desk's public replies reach
 *   the client (and the colleagues they added) by email, so they can answer by email.
 */

const ACTIVE = ['open', 'client_responded', 'ready', 'in_progress', 'awaiting_platform', 'awaiting_client'];

export const managedServicePreset: WorkflowPreset = {
  key: 'managed-service',
  name: 'Managed service',
  description:
    'Seed 000: a managed-service desk. Tickets are validated, worked by experts, may wait on a marketplace ' +
    'platform or internal QC, and end automatically after 15 days without client response.',
  definition: {
    initialStatus: 'open',
    statuses: [
      {
        key: 'open',
        name: 'Open',
        category: 'NEW',
        description: 'Submitted via portal, email or call; the team will check it.',
      },
      {
        key: 'client_responded',
        name: 'Client responded',
        category: 'OPEN',
        description: 'The client replied; the team will read the response.',
      },
      {
        key: 'ready',
        name: 'Ready (validated)',
        category: 'OPEN',
        description: 'The information was validated as sufficient; waiting for an expert to pick it up.',
      },
      {
        key: 'in_progress',
        name: 'In progress',
        category: 'OPEN',
        description: 'The assigned expert is working on the task.',
      },
      {
        key: 'awaiting_platform',
        name: 'Awaiting platform reply / internal QC',
        category: 'WAITING_ON_THIRD_PARTY',
        description: 'Waiting for the marketplace platform, or team leaders are checking the output (QC/QA).',
      },
      {
        key: 'awaiting_client',
        name: 'Awaiting client reply',
        category: 'WAITING_ON_REQUESTER',
        description: "Waiting for the client's feedback.",
      },
      {
        key: 'feedback_answered',
        name: 'Feedback/Answered',
        category: 'RESOLVED',
        description: 'Answered; waiting for feedback, or no further action needed.',
      },
      {
        key: 'resolved',
        name: 'Resolved',
        category: 'RESOLVED',
        description: 'Resolved or completed; can be reopened if necessary.',
      },
      {
        key: 'cancelled',
        name: 'Cancelled',
        category: 'CLOSED',
        description: 'Cancelled by the client, or ended after 15 days without client response.',
      },
    ],
    transitions: [
      {
        from: ['open', 'client_responded'],
        to: 'ready',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['open', 'client_responded', 'ready', 'awaiting_platform', 'awaiting_client'],
        to: 'in_progress',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      { from: ['in_progress'], to: 'open', actors: ['AGENT'], requiresReason: false, reopen: false },
      {
        from: ['open', 'client_responded', 'ready', 'in_progress'],
        to: 'awaiting_platform',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['open', 'client_responded', 'ready', 'in_progress', 'awaiting_platform'],
        to: 'awaiting_client',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['open', 'client_responded', 'in_progress', 'awaiting_platform', 'awaiting_client'],
        to: 'feedback_answered',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: [...ACTIVE, 'feedback_answered'],
        to: 'resolved',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      // Reopen: "No action needed but can reopen if necessary."
      {
        from: ['feedback_answered', 'resolved'],
        to: 'in_progress',
        actors: ['AGENT'],
        requiresReason: true,
        reopen: true,
      },
      // "When the task requested to cancelled by client."
      {
        from: [...ACTIVE, 'feedback_answered'],
        to: 'cancelled',
        actors: ['REQUESTER', 'AGENT'],
        requiresReason: true,
        reopen: false,
      },
    ],
    requesterReplies: [
      { status: 'awaiting_client', action: 'MOVE', to: 'client_responded' },
      { status: 'feedback_answered', action: 'MOVE', to: 'client_responded' },
      { status: 'resolved', action: 'MOVE', to: 'client_responded' },
      { status: 'cancelled', action: 'FOLLOW_UP' },
    ],
    partnerComments: [{ status: 'awaiting_platform', action: 'MOVE', to: 'in_progress' }],
    escalations: [],
    categorisation: {
      categories: ['task', 'revision', 'question'],
      defaultCategory: 'task',
      rules: [
        {
          category: 'revision',
          keywords: ['revision', 'revisions', 'revise', 'redo', 'rework', 'correction'],
        },
        {
          category: 'question',
          keywords: ['question', 'questions', 'how', 'why', 'clarify', 'clarification'],
        },
      ],
    },
    timers: [
      { status: 'awaiting_client', action: 'REMIND', after: 'P3D', repeatEvery: 'P3D', maxCount: 4 },
      {
        status: 'awaiting_client',
        action: 'MOVE',
        after: 'P15D',
        to: 'cancelled',
        addTag: 'No client response',
      },
      { status: 'awaiting_platform', action: 'REMIND', after: 'P3D', repeatEvery: 'P3D', maxCount: 4 },
      {
        status: 'feedback_answered',
        action: 'MOVE',
        after: 'P15D',
        to: 'resolved',
        addTag: 'No client response',
      },
    ],
    notifications: [
      {
        on: 'REMINDER',
        statuses: ['awaiting_client'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'courtesy-follow-up',
      },
      { on: 'PUBLIC_COMMENT', recipients: ['REQUESTER', 'PARTICIPANTS'], template: 'agent-reply' },
    ],
  },
};
