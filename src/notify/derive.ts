import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../access/actor.js';
import type { NotifyConfig } from '../config.js';
import { sqlArray } from '../db/sql.js';
import { appendEvents, type NewEvent } from '../events/event-log.js';
import { TicketEventType } from '../events/event-types.js';
import type { FeedEvent } from '../events/feed-event.js';
import { changesOf } from '../outbox/log-consumer.js';
import { enqueue } from '../outbox/delivery-queue.js';
import type { Channel, Priority } from '../shared/enums.js';
import { escapeHtml } from '../shared/html.js';
import { pgArray } from '../ticket/ticket-read.js';
import { definitionOf } from '../workflow/workflow-store.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import {
  CUSTOMER_RECIPIENTS,
  matchChange,
  triggersOf,
  type NotificationRecipient,
  type RuleMatch,
  type SurveyScale,
} from './rules.js';
import { surveyLinks } from './survey-links.js';
import {
  compileTemplate,
  defaultTemplate,
  renderTemplate,
  TemplateError,
  type CompiledTemplate,
} from './templates.js';

export const NOTIFY_QUEUE = 'notify';

/** A ticket as the consumer renders it. */
export interface TicketFacts {
  id: string;
  reference: string;
  subject: string;
  description: string;
  channel: Channel;
  category: string;
  priority: Priority;
  status: string;
  workflowVersionId: string;
  workflowId: string;
  requester: Person;
  assignee?: Person;
  teamId?: string;
  teamName?: string;
  participantIds: string[];
  followerIds: string[];
}

interface Person {
  id: string;
  name: string;
  email: string;
}

interface Recipient extends Person {
  role: 'REQUESTER' | 'PARTICIPANT' | 'ASSIGNEE' | 'TEAM' | 'FOLLOWER' | 'ADMIN';
}

/** The rows a change's messages are written as. */
export interface DerivedMessage {
  id: string;
  ticketId: string;
  eventSeq: number;
  ruleIndex: number;
  templateKey: string;
  recipient: Recipient;
  messageId: string;
  subject: string;
  text: string;
  html: string;
  automatic: boolean;
  failed?: string;
}

export const threadIdOf = (config: NotifyConfig, ticketId: string) =>
  `<ticket.${ticketId}@${config.messageIdDomain}>`;

/** Stable for one (event, recipient, template): the same on every retry and every worker. */
export const messageIdOf = (
  config: NotifyConfig,
  reference: string,
  seq: number,
  template: string,
  email: string,
) =>
  `<${reference.toLowerCase()}.${seq}.${createHash('sha256').update(`${template}|${email}`).digest('hex').slice(0, 12)}@${config.messageIdDomain}>`;

/** support@example.com → support+tck-000123@example.com: the inbound side finds the ticket by it. */
export const replyToOf = (config: NotifyConfig, reference: string) => {
  const at = config.replyTo.lastIndexOf('@');
  return `${config.replyTo.slice(0, at)}+${reference.toLowerCase()}${config.replyTo.slice(at)}`;
};

export const ticketUrlOf = (config: NotifyConfig, reference: string) =>
  `${config.portalUrl}/tickets/${reference}`;

const ROLE_OF: Record<NotificationRecipient, Recipient['role']> = {
  REQUESTER: 'REQUESTER',
  PARTICIPANTS: 'PARTICIPANT',
  ASSIGNEE: 'ASSIGNEE',
  TEAM: 'TEAM',
  FOLLOWERS: 'FOLLOWER',
};

/** Templates an admin saved, compiled once per version (id and update time). */
const compiledSaved = new Map<string, CompiledTemplate>();

/**
 * The notify consumer's step (runs in the transaction that moves its cursor): the messages the
 * committed `events` cause under each ticket's workflow rules, rendered and queued. A template that
 * fails to render gives a FAILED message (and a NOTIFICATION_FAILED event), never a stuck consumer.
 */
export async function deriveNotifications(
  tx: EntityManager,
  events: FeedEvent[],
  config: NotifyConfig,
  now: Date,
): Promise<DerivedMessage[]> {
  const alerts = await adminAlerts(tx, events, config, now);
  const changes = changesOf(events).filter((c) => c.some((e) => triggersOf(e).length));
  if (!changes.length) return alerts;
  const tickets = await loadTickets(tx, [...new Set(changes.map((c) => c[0]!.ticketId))]);

  // Which rules each change sets off.
  const matched: {
    change: FeedEvent[];
    ticket: TicketFacts;
    def: WorkflowDefinition;
    matches: RuleMatch[];
  }[] = [];
  for (const change of changes) {
    const ticket = tickets.get(change[0]!.ticketId);
    if (!ticket) continue;
    const def = await definitionOf(tx, ticket.workflowVersionId);
    if (!def.notifications?.length) continue;
    const matches = matchChange(def.notifications, change, {
      channel: ticket.channel,
      priority: change.at(-1)!.priority ?? ticket.priority,
      categoryOf: (key) => def.statuses.find((s) => s.key === key)?.category,
    });
    if (matches.length) matched.push({ change, ticket, def, matches });
  }
  if (!matched.length) return alerts;

  // Everyone and everything the messages need, a statement per kind.
  const people = await loadPeople(
    tx,
    matched.flatMap(({ ticket }) => [...ticket.participantIds, ...ticket.followerIds]),
  );
  const teams = await loadTeamAgents(
    tx,
    matched
      .filter((m) => m.matches.some((x) => x.rule.recipients.includes('TEAM')))
      .map((m) => m.ticket.teamId),
  );
  const comments = await latestPublicComments(
    tx,
    matched.map((m) => ({ ticketId: m.ticket.id, at: m.change[0]!.occurredAt })),
  );
  const due = await nextDueTargets(
    tx,
    matched.map((m) => m.ticket.id),
  );
  const templates = await loadTemplates(
    tx,
    matched.flatMap((m) => m.matches.map((x) => ({ workflowId: m.ticket.workflowId, key: x.rule.template }))),
  );

  const out: DerivedMessage[] = [];
  matched.forEach(({ ticket, def, matches }, i) => {
    const sent = new Set<string>();
    const statusOf = statusLookup(def);
    const base = baseScope(config, ticket, statusOf, comments[i], due.get(ticket.id));
    for (const m of matches) {
      const recipients = recipientsOf(m, ticket, people, teams);
      const template = templates.get(`${ticket.workflowId}|${m.rule.template}`);
      for (const r of recipients) {
        const key = r.email.toLowerCase();
        if (sent.has(key)) continue;
        // Nobody hears of their own change (but a new ticket is acknowledged to whoever opened it).
        if (m.trigger !== 'TICKET_CREATED' && r.id === m.event.actorId) continue;
        // Internal matters never reach the customer's side.
        if (m.event.internal && (r.role === 'REQUESTER' || r.role === 'PARTICIPANT')) continue;
        sent.add(key);
        const scope = {
          ...base,
          event: eventScope(m.event, m.trigger, statusOf),
          recipient: { name: r.name, email: r.email, role: r.role },
          survey: surveyScope(config, m.event),
        };
        const message: DerivedMessage = {
          id: randomUUID(),
          ticketId: ticket.id,
          eventSeq: m.event.seq,
          ruleIndex: m.ruleIndex,
          templateKey: m.rule.template,
          recipient: r,
          messageId: messageIdOf(config, ticket.reference, m.event.seq, m.rule.template, key),
          subject: `[${ticket.reference}] ${ticket.subject}`,
          text: '',
          html: '',
          automatic: m.trigger !== 'PUBLIC_COMMENT',
        };
        try {
          if (!template) throw new Error(`no template "${m.rule.template}"`);
          const rendered = renderTemplate(template, scope);
          message.subject = rendered.subject.includes(ticket.reference)
            ? rendered.subject
            : `[${ticket.reference}] ${rendered.subject}`;
          message.text = rendered.text;
          message.html = rendered.html;
        } catch (err) {
          message.failed = `template ${m.rule.template}: ${(err as Error).message}`;
        }
        out.push(message);
      }
    }
  });
  await writeMessages(tx, out, config, now);
  return [...alerts, ...out];
}

/** The template key of the operational alert below (not a workflow rule: it is about the desk's integrations, not a ticket's people). */
export const WEBHOOK_DISABLED_ALERT = 'webhook-disabled';

/**
 * Operational alerts to every active admin, whatever the workflow's rules (issue 14: when a webhook
 * endpoint is disabled, "admins are told: an event and, where notifications exist, an email"): one
 * message per WEBHOOK_ENDPOINT_DISABLED event and admin, with the endpoint, the reason and how to
 * resume. Written and queued like the rules' messages (same table, same outbox, once per event and
 * recipient).
 */
async function adminAlerts(
  tx: EntityManager,
  events: FeedEvent[],
  config: NotifyConfig,
  now: Date,
): Promise<DerivedMessage[]> {
  const disabled = events.filter((e) => e.type === TicketEventType.WEBHOOK_ENDPOINT_DISABLED);
  if (!disabled.length) return [];
  const admins = await tx.execute<Person[]>(
    `select id, name, email from app_user where role = 'ADMIN' and deactivated_at is null order by email`,
  );
  const out: DerivedMessage[] = [];
  for (const e of disabled) {
    const p = e.payload as { endpointId?: string; url?: string; reason?: string; partnerName?: string };
    const text = [
      `The webhook endpoint ${p.url ?? p.endpointId} was disabled: ${p.reason ?? 'its deliveries kept failing'}.`,
      '',
      'Nothing is lost: its cursor waits before the event that failed. Once the receiver works again, enable',
      `it (updateWebhookEndpoint with enabled: true, endpoint ${p.endpointId}) and delivery resumes from there.`,
      'Every attempt is in webhookDeliveries.',
    ].join('\n');
    for (const admin of admins)
      out.push({
        id: randomUUID(),
        ticketId: e.ticketId,
        eventSeq: e.seq,
        ruleIndex: -1,
        templateKey: WEBHOOK_DISABLED_ALERT,
        recipient: { ...admin, role: 'ADMIN' },
        messageId: messageIdOf(config, 'alert', e.seq, WEBHOOK_DISABLED_ALERT, admin.email.toLowerCase()),
        subject: `Webhook endpoint disabled: ${p.url ?? p.endpointId}`,
        text,
        html: `<pre>${escapeHtml(text)}</pre>`,
        automatic: true,
      });
  }
  await writeMessages(tx, out, config, now);
  return out;
}

function recipientsOf(
  m: RuleMatch,
  ticket: TicketFacts,
  people: Map<string, Person & { role: string }>,
  teams: Map<string, Person[]>,
): Recipient[] {
  const out: Recipient[] = [];
  const staffOnly = m.trigger === 'SLA_BREACHED';
  for (const who of m.rule.recipients) {
    if (staffOnly && CUSTOMER_RECIPIENTS.includes(who)) continue;
    const role = ROLE_OF[who];
    const add = (p: Person | undefined) => p && out.push({ ...p, role });
    if (who === 'REQUESTER') add(ticket.requester);
    else if (who === 'PARTICIPANTS')
      ticket.participantIds.forEach((id) => {
        const p = people.get(id);
        if (p?.role === 'REQUESTER') add(p);
      });
    else if (who === 'ASSIGNEE') add(ticket.assignee);
    else if (who === 'TEAM') (teams.get(ticket.teamId ?? '') ?? []).forEach(add);
    else if (who === 'FOLLOWERS')
      ticket.followerIds.forEach((id) => {
        const p = people.get(id);
        if (p && p.role !== 'REQUESTER') add(p);
      });
  }
  return out;
}

const statusLookup = (def: WorkflowDefinition) => (key: unknown) => {
  const s = def.statuses.find((x) => x.key === key);
  return s ? { key: s.key, name: s.name, category: s.category } : undefined;
};

type Comment = {
  body: string;
  createdAt: string;
  author: { name: string };
  /** The comment's public images, referred to as `cid:<cid>` in HTML (the mailer attaches them). */
  images: { cid: string; filename: string }[];
};

/** The Content-ID an attachment is sent inline with: `<attachment id>@docket` (the mailer finds it by it). */
export const inlineCid = (attachmentId: string) => `${attachmentId}@docket`;

function baseScope(
  config: NotifyConfig,
  ticket: TicketFacts,
  statusOf: (key: unknown) => unknown,
  comment: Comment | undefined,
  due: { dueAt: string; kind: string } | undefined,
) {
  return {
    ticket: {
      id: ticket.id,
      reference: ticket.reference,
      subject: ticket.subject,
      description: ticket.description,
      status: statusOf(ticket.status),
      priority: ticket.priority,
      channel: ticket.channel,
      category: ticket.category,
      url: ticketUrlOf(config, ticket.reference),
      requester: { name: ticket.requester.name, email: ticket.requester.email },
      assignee: ticket.assignee ? { name: ticket.assignee.name } : null,
      team: ticket.teamName ? { name: ticket.teamName } : null,
      sla: due ?? null,
    },
    comment: comment ?? null,
    desk: { name: config.from.name ?? 'Support' },
  };
}

/**
 * The scope a template of this ticket sees for `event`, addressed to the requester in `role` (for
 * previews; the consumer builds the same scope for a whole batch at once).
 */
export async function buildScope(
  em: EntityManager,
  config: NotifyConfig,
  def: WorkflowDefinition,
  ticketId: string,
  event: FeedEvent,
  role: Recipient['role'],
): Promise<Record<string, unknown>> {
  const ticket = (await loadTickets(em, [ticketId])).get(ticketId)!;
  const [comment] = await latestPublicComments(em, [{ ticketId, at: new Date('9999-12-31T00:00:00Z') }]);
  const due = await nextDueTargets(em, [ticketId]);
  const statusOf = statusLookup(def);
  const trigger = triggersOf(event)[0] ?? 'STATUS_ENTERED';
  return {
    ...baseScope(config, ticket, statusOf, comment, due.get(ticketId)),
    event: eventScope(event, trigger, statusOf),
    recipient: { name: ticket.requester.name, email: ticket.requester.email, role },
    survey: null,
  };
}

function eventScope(e: FeedEvent, trigger: string, statusOf: (key: unknown) => unknown) {
  const p = e.payload;
  const m = { event: e, trigger };
  return {
    type: m.event.type,
    trigger: m.trigger,
    actorKind: m.event.actorKind,
    status: statusOf(m.trigger === 'REMINDER' ? p.status : p.to) ?? null,
    fromStatus: statusOf(p.from) ?? null,
    reason: (p.reason as string | null | undefined) ?? null,
    reminderCount: (p.count as number | undefined) ?? null,
    slaKind: (p.kind as string | undefined) ?? null,
    breachedAt: (p.breachedAt as string | undefined) ?? null,
    occurredAt: m.event.occurredAt.toISOString(),
  };
}

export function surveyScope(config: NotifyConfig, e: FeedEvent) {
  if (e.type !== TicketEventType.SATISFACTION_SURVEY_OPENED) return null;
  const id = String(e.payload.surveyId);
  const scale = e.payload.scale as SurveyScale;
  return {
    id,
    scale,
    closesAt: e.payload.closesAt,
    links: surveyLinks(config.publicUrl, config.surveySecret, id, scale),
  };
}

async function loadTickets(tx: EntityManager, ids: string[]): Promise<Map<string, TicketFacts>> {
  const rows = await tx.execute<Record<string, unknown>[]>(
    `select t.id, t.reference, t.subject, t.description, t.channel, t.category, t.priority, t.status,
            t.workflow_version_id, wv.workflow_id, t.participant_ids, t.follower_ids, t.team_id, tm.name as team_name,
            r.id as r_id, r.name as r_name, r.email as r_email, a.id as a_id, a.name as a_name, a.email as a_email
       from ticket t
       join app_user r on r.id = t.requester_id
       left join app_user a on a.id = t.assignee_id
       left join team tm on tm.id = t.team_id
       join workflow_version wv on wv.id = t.workflow_version_id
      where t.id = any(?::uuid[])`,
    [sqlArray(ids)],
  );
  return new Map(
    rows.map((r) => [
      r.id as string,
      {
        id: r.id as string,
        reference: r.reference as string,
        subject: r.subject as string,
        description: r.description as string,
        channel: r.channel as Channel,
        category: r.category as string,
        priority: r.priority as Priority,
        status: r.status as string,
        workflowVersionId: r.workflow_version_id as string,
        workflowId: r.workflow_id as string,
        requester: { id: r.r_id as string, name: r.r_name as string, email: r.r_email as string },
        assignee: r.a_id
          ? { id: r.a_id as string, name: r.a_name as string, email: r.a_email as string }
          : undefined,
        teamId: (r.team_id as string | null) ?? undefined,
        teamName: (r.team_name as string | null) ?? undefined,
        participantIds: pgArray(r.participant_ids),
        followerIds: pgArray(r.follower_ids),
      },
    ]),
  );
}

async function loadPeople(tx: EntityManager, ids: string[]): Promise<Map<string, Person & { role: string }>> {
  if (!ids.length) return new Map();
  const rows = await tx.execute<{ id: string; name: string; email: string; role: string }[]>(
    'select id, name, email, role from app_user where id = any(?::uuid[])',
    [sqlArray([...new Set(ids)])],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

async function loadTeamAgents(
  tx: EntityManager,
  teamIds: (string | undefined)[],
): Promise<Map<string, Person[]>> {
  const ids = [...new Set(teamIds.filter((t): t is string => !!t))];
  if (!ids.length) return new Map();
  const rows = await tx.execute<{ team_id: string; id: string; name: string; email: string }[]>(
    `select m.team_id, u.id, u.name, u.email from team_member m join app_user u on u.id = m.user_id
      where m.team_id = any(?::uuid[]) and u.role in ('AGENT', 'ADMIN') order by u.name`,
    [sqlArray(ids)],
  );
  const out = new Map<string, Person[]>();
  for (const r of rows) out.set(r.team_id, [...(out.get(r.team_id) ?? []), r]);
  return out;
}

/** The latest public comment of each ticket when its change committed (internal notes never). */
async function latestPublicComments(
  tx: EntityManager,
  at: { ticketId: string; at: Date }[],
): Promise<(Comment | undefined)[]> {
  const rows = await tx.execute<
    {
      k: number;
      body: string | null;
      created_at: string | null;
      name: string | null;
      images: { id: string; filename: string }[] | null;
    }[]
  >(
    // The comment's public images go along inline (`cid:`), so they show in HTML mails (issue 15).
    `select x.k, c.body, c.created_at, coalesce(u.name, 'Support') as name,
            (select json_agg(json_build_object('id', a.id, 'filename', a.filename) order by a.created_at)
               from attachment a
              where a.comment_id = c.id and not a.internal and not a.pending
                and a.content_type in ('image/png', 'image/jpeg', 'image/gif', 'image/webp')) as images
       from jsonb_to_recordset(?::jsonb) as x(k int, ticket_id uuid, at timestamptz)
       left join lateral (
         select id, body, created_at, author_id from comment
          where ticket_id = x.ticket_id and not internal and created_at <= x.at
          order by created_at desc limit 1) c on true
       left join app_user u on u.id = c.author_id
      order by x.k`,
    [JSON.stringify(at.map((a, k) => ({ k, ticket_id: a.ticketId, at: a.at.toISOString() })))],
  );
  const byK = new Map(rows.map((r) => [r.k, r]));
  return at.map((_, k) => {
    const r = byK.get(k);
    return r?.body == null
      ? undefined
      : {
          body: r.body,
          createdAt: new Date(r.created_at!).toISOString(),
          author: { name: r.name! },
          images: (r.images ?? []).map((i) => ({ cid: inlineCid(i.id), filename: i.filename })),
        };
  });
}

async function nextDueTargets(
  tx: EntityManager,
  ids: string[],
): Promise<Map<string, { dueAt: string; kind: string }>> {
  const rows = await tx.execute<{ ticket_id: string; kind: string; due_at: string }[]>(
    `select distinct on (ticket_id) ticket_id, kind, due_at from ticket_sla_target
      where ticket_id = any(?::uuid[]) and state = 'ACTIVE' and due_at is not null
      order by ticket_id, due_at`,
    [sqlArray([...new Set(ids)])],
  );
  return new Map(rows.map((r) => [r.ticket_id, { dueAt: new Date(r.due_at).toISOString(), kind: r.kind }]));
}

/**
 * The template each (workflow, key) uses: the admin's for that workflow, else the admin's for every
 * workflow, else the shipped default. A saved template that no longer parses is left out (its
 * messages fail, recorded).
 */
export async function loadTemplates(
  em: EntityManager,
  wanted: { workflowId: string; key: string }[],
): Promise<Map<string, CompiledTemplate>> {
  const keys = [...new Set(wanted.map((w) => w.key))];
  const rows = keys.length
    ? await em.execute<
        {
          id: string;
          workflow_id: string | null;
          key: string;
          subject: string;
          text_body: string;
          html_body: string;
          updated_at: string;
        }[]
      >(
        `select id, workflow_id, key, subject, text_body, html_body, updated_at from notification_template
          where key = any(?::text[])`,
        [sqlArray(keys)],
      )
    : [];
  const compiled = (r: (typeof rows)[number]) => {
    const cacheKey = `${r.id}|${new Date(r.updated_at).getTime()}`;
    let t = compiledSaved.get(cacheKey);
    if (!t) {
      try {
        t = compileTemplate({ subject: r.subject, text: r.text_body, html: r.html_body });
      } catch (err) {
        if (err instanceof TemplateError) return undefined;
        throw err;
      }
      compiledSaved.set(cacheKey, t);
    }
    return t;
  };
  const out = new Map<string, CompiledTemplate>();
  for (const w of wanted) {
    const own = rows.find((r) => r.key === w.key && r.workflow_id === w.workflowId);
    const shared = rows.find((r) => r.key === w.key && r.workflow_id === null);
    const t = (own && compiled(own)) ?? (shared && compiled(shared)) ?? defaultTemplate(w.key);
    if (t) out.set(`${w.workflowId}|${w.key}`, t);
  }
  return out;
}

/** Queues the messages (FAILED ones recorded as such, with a NOTIFICATION_FAILED event each). */
async function writeMessages(
  tx: EntityManager,
  messages: DerivedMessage[],
  config: NotifyConfig,
  now: Date,
): Promise<void> {
  if (!messages.length) return;
  await enqueue(
    tx,
    NOTIFY_QUEUE,
    messages.map((m) => ({
      id: m.id,
      ticketId: m.ticketId,
      eventSeq: m.eventSeq,
      failed: m.failed,
    })),
    { now, maxAttempts: config.maxAttempts },
  );
  await tx.execute(
    `insert into notification_message (id, ticket_id, event_seq, rule_index, template_key, recipient_user_id,
        recipient_email, recipient_role, message_id, subject, text_body, html_body, automatic, created_at)
     select m.id, m.ticket_id, m.event_seq, m.rule_index, m.template_key, m.recipient_user_id, m.recipient_email,
        m.recipient_role, m.message_id, m.subject, m.text_body, m.html_body, m.automatic, ?
       from jsonb_to_recordset(?::jsonb) as m(id uuid, ticket_id uuid, event_seq bigint, rule_index int,
         template_key text, recipient_user_id uuid, recipient_email text, recipient_role text, message_id text,
         subject text, text_body text, html_body text, automatic boolean)`,
    [
      now.toISOString(),
      JSON.stringify(
        messages.map((m) => ({
          id: m.id,
          ticket_id: m.ticketId,
          event_seq: m.eventSeq,
          rule_index: m.ruleIndex,
          template_key: m.templateKey,
          recipient_user_id: m.recipient.id,
          recipient_email: m.recipient.email,
          recipient_role: m.recipient.role,
          message_id: m.messageId,
          subject: m.subject,
          text_body: m.text,
          html_body: m.html,
          automatic: m.automatic,
        })),
      ),
    ],
  );
  const failed = messages.filter((m) => m.failed);
  if (failed.length)
    await appendEvents(
      tx,
      failed.map((m) => failedEvent(m.ticketId, m, m.failed!, now)),
    );
}

/** The staff-only event a dashboard sees when a message will not be delivered. */
export function failedEvent(
  ticketId: string,
  m: { id: string; messageId: string; templateKey: string; recipient: { email: string; role: string } },
  error: string,
  now: Date,
): NewEvent {
  return {
    ticketId,
    type: TicketEventType.NOTIFICATION_FAILED,
    actor: SYSTEM_ACTOR,
    payload: {
      notificationId: m.id,
      messageId: m.messageId,
      template: m.templateKey,
      recipient: m.recipient.email,
      recipientRole: m.recipient.role,
      error,
    },
    internal: true,
    occurredAt: now,
  };
}
