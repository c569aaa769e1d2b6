/**
 * Seed 002: an agency's Customer Support Center (web/design work for clients).
 *
 * Where each rule comes from (quoted from the seed document):
 * - Open/New: "When a new ticket or a response to an existing ticket comes into the system it is
 *   automatically categorized as OPEN/NEW." → the initial status, and a requester reply while Pending, Solved
 *   or On-hold moves the ticket back to Open/New.
 * - Pending: "When an agent responds to the ticket and they need more information, they will send their
 *   question(s) and change the status to PENDING." (agent move)
 * - Solved: "When an agent responds to the ticket and they DON'T need more information, they will send their
 *   response and change the status to SOLVED." (agent move)
 * - On-hold: "Tickets that the agent knows the customer needs more time to respond or gather collateral like
 *   photos or content may be set to ON until the client sends the necessary information" (agent move).
 * - Pending timers: "If you do not respond to your ticket within 24hrs the system will automatically send you
 *   a reminder. If you do not respond to your ticket within 5 days, the system will send you a second
 *   reminder. If you do not respond to your ticket within 7 days the system will tag your ticket with
 *   "No Response" and the system will automatically change the status to CLOSED." → REMIND after PT24H
 *   (once), REMIND after P5D (once), MOVE after P7D to Closed with tag "No Response".
 * - Solved timer: "You have 24hrs to add any additional information to the ticket before it is CLOSED." →
 *   MOVE after PT24H to Closed.
 * - Closed: "Once a ticket is set to the Close, it can no longer be updated. If you try to update it, the
 *   system will automatically create a new ticket." → no move out of Closed; a reply there is a FOLLOW_UP.
 * - Categorisation: "we evaluate it and categorize it as a question, work request, or communication on an
 *   existing project." → categories "question", "work request", "project communication". Deterministic
 *   keyword rules (whole words, case-insensitive, first rule wins):
 *     1. project communication ← project, projects, milestone, milestones, deliverable, deliverables,
 *        mockup, mockups, proof, proofs, launch
 *     2. work request ← change, changes, update, updates, add, remove, fix, create, build, install, design,
 *        replace, upload, setup
 *     3. question ← question, questions, how, why, what, when, where, which
 *   otherwise "question" (the seed: "59% of all tickets are responded to within 1 hour (typically a
 *   question)").
 * - No tiers: no escalation rules.
 * - Assignment: "Project communications will almost always be handled by the lead agent on your project."
 *   → project communication goes to the organization's lead agent first, then (as every other category)
 *   to "the agent you have mostly worked with", then the least-loaded agent (issue 16).
 */
import type { WorkflowPreset } from '../definition.js';

/*
 * Notifications, each a promise of the seed:
 * - OPEN/NEW: "You will get an email notification stating that we have received the request and an
 *   agent will be assigned shortly."
 * - PENDING: "your ticket will be moved into the pending status and you will immediately get an email
 *   with the agent question(s)." (The agent's reply and the move are one change: one email.)
 * - "If you do not respond to your ticket within 24hrs the system will automatically send you a
 *   reminder. If you do not respond to your ticket within 5 days, the system will send you a second
 *   reminder."
 * - SOLVED: "You'll get a notification stating that your ticket has been resolved."
 * (No email is promised for the close at 7 days or after Solved, nor for other replies.)
 */

export const agencyPreset: WorkflowPreset = {
  key: 'agency',
  name: 'Agency desk',
  description:
    'Seed 002: an agency help desk. Every new ticket or reply arrives as Open/New; Pending tickets get ' +
    'reminders at 24 h and 5 days and close at 7 days tagged "No Response"; Solved closes after 24 h; a reply ' +
    'to a Closed ticket opens a new one.',
  definition: {
    initialStatus: 'open_new',
    statuses: [
      {
        key: 'open_new',
        name: 'Open/New',
        category: 'NEW',
        description: 'A new ticket or a reply; stays here until an agent responds. Worked oldest first.',
      },
      {
        key: 'pending',
        name: 'Pending',
        category: 'WAITING_ON_REQUESTER',
        description: 'The agent needs more information from the client.',
      },
      {
        key: 'solved',
        name: 'Solved',
        category: 'RESOLVED',
        description: 'Deemed completed; the client has 24 h to add information before it closes.',
      },
      {
        key: 'closed',
        name: 'Closed',
        category: 'CLOSED',
        description: 'Can no longer be updated; a reply creates a new ticket.',
      },
      {
        key: 'on_hold',
        name: 'On-hold',
        category: 'ON_HOLD',
        description: 'The client needs time to gather collateral (photos, content).',
      },
    ],
    transitions: [
      {
        from: ['open_new', 'on_hold'],
        to: 'pending',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['open_new', 'pending', 'on_hold'],
        to: 'solved',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['open_new', 'pending'],
        to: 'on_hold',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['pending', 'on_hold'],
        to: 'open_new',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      { from: ['solved'], to: 'open_new', actors: ['AGENT'], requiresReason: true, reopen: true },
      {
        from: ['open_new', 'pending', 'on_hold', 'solved'],
        to: 'closed',
        actors: ['AGENT'],
        requiresReason: true,
        reopen: false,
      },
      // No move out of Closed: "it can no longer be updated".
    ],
    requesterReplies: [
      { status: 'pending', action: 'MOVE', to: 'open_new' },
      { status: 'solved', action: 'MOVE', to: 'open_new' },
      { status: 'on_hold', action: 'MOVE', to: 'open_new' },
      { status: 'closed', action: 'FOLLOW_UP' },
    ],
    partnerComments: [],
    escalations: [],
    categorisation: {
      categories: ['question', 'work request', 'project communication'],
      defaultCategory: 'question',
      rules: [
        {
          category: 'project communication',
          keywords: [
            'project',
            'projects',
            'milestone',
            'milestones',
            'deliverable',
            'deliverables',
            'mockup',
            'mockups',
            'proof',
            'proofs',
            'launch',
          ],
        },
        {
          category: 'work request',
          keywords: [
            'change',
            'changes',
            'update',
            'updates',
            'add',
            'remove',
            'fix',
            'create',
            'build',
            'install',
            'design',
            'replace',
            'upload',
            'setup',
          ],
        },
        {
          category: 'question',
          keywords: ['question', 'questions', 'how', 'why', 'what', 'when', 'where', 'which'],
        },
      ],
    },
    timers: [
      { status: 'pending', action: 'REMIND', after: 'PT24H', maxCount: 1 },
      { status: 'pending', action: 'REMIND', after: 'P5D', maxCount: 1 },
      { status: 'pending', action: 'MOVE', after: 'P7D', to: 'closed', addTag: 'No Response' },
      { status: 'solved', action: 'MOVE', after: 'PT24H', to: 'closed' },
    ],
    notifications: [
      { on: 'TICKET_CREATED', recipients: ['REQUESTER', 'PARTICIPANTS'], template: 'ticket-received' },
      {
        on: 'STATUS_ENTERED',
        statuses: ['pending'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'agent-questions',
      },
      {
        on: 'REMINDER',
        statuses: ['pending'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'reminder',
      },
      {
        on: 'STATUS_ENTERED',
        statuses: ['solved'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'resolution',
      },
    ],
    // "Project communications will almost always be handled by the lead agent on your project"; then
    // "we try to assign new project requests to the agent you have mostly worked with".
    assignmentRules: [
      {
        categories: ['project communication'],
        steps: ['LEAD_AGENT', 'FAMILIAR_AGENT', 'LEAST_LOADED'],
      },
    ],
  },
};
