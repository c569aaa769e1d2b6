/**
 * Seed 003: a SaaS platform's user support (ticket system, live chat, SLA by severity, tiers 1 → 2 → 3).
 *
 * The seed names no statuses; these are ours, one per status category the seed implies.
 * Where each rule comes from (quoted from the seed document):
 * - New: "Each ticket is assigned a unique ID for tracking, and our support team works on resolving the issue
 *   based on priority." → the initial status; agents take it In progress.
 * - Tiers: "If the issue cannot be resolved immediately, it will be escalated to Tier 2." and "Escalation to
 *   Tier 3 occurs if further expertise is needed." → escalation to tier 2 and to tier 3 from any active
 *   status moves (or keeps) the ticket In progress.
 * - Awaiting third party: "some factors—such as complexity or dependencies on third-party providers—might
 *   lead to delays" → a WAITING_ON_THIRD_PARTY status; a partner comment there moves it back In progress.
 * - Awaiting customer: "The user will receive an email notification with updates on the ticket status." →
 *   agents may ask the customer; a reply moves the ticket back In progress. Our choice (not in the seed): one
 *   reminder after P3D.
 * - Resolved / Closed: "Resolution Target" per severity → Resolved (RESOLVED); a customer reply reopens it
 *   (back In progress). Our choice (not in the seed): Resolved closes after P7D; a reply to a Closed
 *   ticket opens a linked follow-up.
 * - The hourly critical updates and SLA targets belong to the SLA policy, not to this workflow.
 * - Categorisation, from the seed's severity examples ("Platform-wide outage, critical data loss",
 *   "Major bugs", "minor performance issues", "integration problems with external services",
 *   "account configuration assistance", "feature requests"), first rule wins:
 *     incident ← outage, down, unavailable, data loss, corruption, corrupted
 *     bug ← bug, bugs, error, errors, broken, crash, crashes, exception
 *     performance ← slow, latency, timeout, timeouts, delay, delayed, performance
 *     integration ← integration, integrations, webhook, webhooks, api, sso
 *     account ← account, login, password, billing, invoice, configuration
 *     feature request ← feature request, suggestion, enhancement
 *   otherwise "general inquiry".
 */
import type { WorkflowPreset } from '../definition.js';

/*
 * Notifications, each a promise of the seed:
 * - "The user will receive an email notification with updates on the ticket status." → every status
 *   the ticket enters, except moves the user made themselves (their own reply reopening it).
 * - "Users will receive regular updates on the progress of their issue." → the desk's public replies;
 *   a reply that also moves the ticket is one email (the reply, which shows the new status).
 */

const ACTIVE = ['new', 'in_progress', 'awaiting_customer', 'awaiting_third_party'];

export const saasPreset: WorkflowPreset = {
  key: 'saas',
  name: 'SaaS platform',
  description:
    'Seed 003: a SaaS support desk with tiers 1 → 2 → 3 and SLA targets by severity; tickets may wait on ' +
    'the customer or on a third-party provider.',
  definition: {
    initialStatus: 'new',
    statuses: [
      { key: 'new', name: 'New', category: 'NEW', description: 'Submitted; not yet picked up.' },
      {
        key: 'in_progress',
        name: 'In progress',
        category: 'OPEN',
        description: 'The assigned tier is working on it.',
      },
      {
        key: 'awaiting_customer',
        name: 'Awaiting customer',
        category: 'WAITING_ON_REQUESTER',
        description: 'Waiting for information from the customer.',
      },
      {
        key: 'awaiting_third_party',
        name: 'Awaiting third party',
        category: 'WAITING_ON_THIRD_PARTY',
        description: 'Waiting on a third-party provider.',
      },
      {
        key: 'resolved',
        name: 'Resolved',
        category: 'RESOLVED',
        description: 'Resolved; the customer may reply to reopen it.',
      },
      { key: 'closed', name: 'Closed', category: 'CLOSED', description: 'Done.' },
    ],
    transitions: [
      {
        from: ['new', 'awaiting_customer', 'awaiting_third_party'],
        to: 'in_progress',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['new', 'in_progress', 'awaiting_third_party'],
        to: 'awaiting_customer',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      {
        from: ['in_progress', 'awaiting_customer'],
        to: 'awaiting_third_party',
        actors: ['AGENT'],
        requiresReason: false,
        reopen: false,
      },
      { from: ACTIVE, to: 'resolved', actors: ['AGENT'], requiresReason: false, reopen: false },
      { from: ['resolved'], to: 'in_progress', actors: ['AGENT'], requiresReason: true, reopen: true },
      { from: [...ACTIVE, 'resolved'], to: 'closed', actors: ['AGENT'], requiresReason: true, reopen: false },
    ],
    requesterReplies: [
      { status: 'awaiting_customer', action: 'MOVE', to: 'in_progress' },
      { status: 'resolved', action: 'MOVE', to: 'in_progress' },
      { status: 'closed', action: 'FOLLOW_UP' },
    ],
    partnerComments: [{ status: 'awaiting_third_party', action: 'MOVE', to: 'in_progress' }],
    escalations: [
      { toTier: 2, fromStatuses: ACTIVE, moveTo: 'in_progress' },
      { toTier: 3, fromStatuses: ACTIVE, moveTo: 'in_progress' },
    ],
    categorisation: {
      categories: [
        'incident',
        'bug',
        'performance',
        'integration',
        'account',
        'feature request',
        'general inquiry',
      ],
      defaultCategory: 'general inquiry',
      rules: [
        {
          category: 'incident',
          keywords: ['outage', 'down', 'unavailable', 'data loss', 'corruption', 'corrupted'],
        },
        {
          category: 'bug',
          keywords: ['bug', 'bugs', 'error', 'errors', 'broken', 'crash', 'crashes', 'exception'],
        },
        {
          category: 'performance',
          keywords: ['slow', 'latency', 'timeout', 'timeouts', 'delay', 'delayed', 'performance'],
        },
        {
          category: 'integration',
          keywords: ['integration', 'integrations', 'webhook', 'webhooks', 'api', 'sso'],
        },
        {
          category: 'account',
          keywords: ['account', 'login', 'password', 'billing', 'invoice', 'configuration'],
        },
        { category: 'feature request', keywords: ['feature request', 'suggestion', 'enhancement'] },
      ],
    },
    timers: [
      { status: 'awaiting_customer', action: 'REMIND', after: 'P3D', maxCount: 1 },
      { status: 'resolved', action: 'MOVE', after: 'P7D', to: 'closed' },
    ],
    notifications: [
      { on: 'PUBLIC_COMMENT', recipients: ['REQUESTER', 'PARTICIPANTS'], template: 'agent-reply' },
      {
        on: 'STATUS_ENTERED',
        actorKinds: ['AGENT', 'ADMIN', 'SYSTEM', 'PARTNER'],
        recipients: ['REQUESTER', 'PARTICIPANTS'],
        template: 'status-update',
      },
    ],
    // "Live Chat: Available during business hours"; "Phone: For urgent issues, users can call our support
    // hotline. Availability depends on support hours"; "Support is available 24/7 for critical issues and
    // during business hours (9 AM - 6 PM, Monday through Friday) for non-urgent inquiries." Email and the
    // ticket system take tickets at any hour ("Expect a response within 1 business day").
    channelHours: [
      { channels: ['CHAT'], calendarKey: 'business-hours', outsideHours: 'REFUSE' },
      {
        channels: ['PHONE'],
        calendarKey: 'business-hours',
        outsideHours: 'REFUSE',
        exemptPriorities: ['CRITICAL'],
      },
    ],
  },
};
