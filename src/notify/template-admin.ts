import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { canManageWorkflows, isStaff } from '../access/policy.js';
import type { NotifyConfig } from '../config.js';
import { Checks } from '../shared/checks.js';
import { InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { Workflow } from '../workflow/workflow.entity.js';
import { definitionOf } from '../workflow/workflow-store.js';
import { Ticket } from '../ticket/ticket.entity.js';
import { canReadTicket } from '../access/policy.js';
import { TicketEventType } from '../events/event-types.js';
import type { FeedEvent } from '../events/feed-event.js';
import { buildScope, loadTemplates, surveyScope } from './derive.js';
import { latestSurvey } from './survey.js';
import {
  checkTemplate,
  compileTemplate,
  DEFAULT_TEMPLATES,
  renderTemplate,
  TemplateError,
  type RenderedMessage,
  type TemplateSource,
} from './templates.js';

const KEY = /^[a-z][a-z0-9-]{0,63}$/;

/** A template as admins see it: saved for one workflow, for all, or shipped. */
export interface TemplateView extends TemplateSource {
  key: string;
  workflowKey?: string;
  source: 'WORKFLOW' | 'SHARED' | 'DEFAULT';
  description?: string;
  updatedAt?: Date;
}

/** What a template is checked against when saved: every name the scope has, with sample values. */
export function sampleScope(config: NotifyConfig): Record<string, unknown> {
  const status = { key: 'pending', name: 'Pending', category: 'WAITING_ON_REQUESTER' };
  return {
    ticket: {
      id: '00000000-0000-0000-0000-000000000000',
      reference: 'TCK-000123',
      subject: 'Sample subject',
      description: 'Sample description',
      status,
      priority: 'MEDIUM',
      channel: 'PORTAL',
      category: 'question',
      url: `${config.portalUrl}/tickets/TCK-000123`,
      requester: { name: 'Rita Requester', email: 'rita@example.com' },
      assignee: { name: 'Alice Agent' },
      team: { name: 'Frontline' },
      sla: { dueAt: new Date(0).toISOString(), kind: 'FIRST_RESPONSE' },
    },
    comment: {
      body: 'Sample reply',
      createdAt: new Date(0).toISOString(),
      author: { name: 'Alice Agent' },
      images: [{ cid: 'sample@docket', filename: 'screenshot.png' }],
    },
    event: {
      type: 'STATUS_CHANGED',
      trigger: 'STATUS_ENTERED',
      actorKind: 'AGENT',
      status,
      fromStatus: status,
      reason: null,
      reminderCount: 1,
      slaKind: 'FIRST_RESPONSE',
      breachedAt: new Date(0).toISOString(),
      occurredAt: new Date(0).toISOString(),
    },
    recipient: { name: 'Rita Requester', email: 'rita@example.com', role: 'REQUESTER' },
    survey: {
      id: 'sample',
      scale: 'GOOD_BAD',
      closesAt: new Date(0).toISOString(),
      links: {
        good: 'https://example.com/good',
        bad: 'https://example.com/bad',
        1: 'x',
        2: 'x',
        3: 'x',
        4: 'x',
        5: 'x',
      },
    },
    desk: { name: 'Support' },
  };
}

async function workflowIdOf(em: EntityManager, key: string | undefined): Promise<string | null> {
  if (key === undefined) return null;
  const w = await em.findOne(Workflow, { key });
  if (!w) throw new NotFoundError('Workflow', key);
  return w.id;
}

/** The templates in force: shipped defaults, replaced by admins' for all workflows or for `workflowKey`. */
export async function listTemplates(ctx: UseCaseContext, workflowKey?: string): Promise<TemplateView[]> {
  if (!isStaff(ctx.actor)) throw new NotPermittedError('read notification templates');
  const workflowId = await workflowIdOf(ctx.em, workflowKey);
  const rows = await ctx.em.execute<
    {
      workflow_id: string | null;
      key: string;
      subject: string;
      text_body: string;
      html_body: string;
      updated_at: string;
    }[]
  >(
    `select workflow_id, key, subject, text_body, html_body, updated_at from notification_template
      where workflow_id is null or workflow_id = ? order by key`,
    [workflowId],
  );
  const keys = [...new Set([...Object.keys(DEFAULT_TEMPLATES), ...rows.map((r) => r.key)])].sort();
  return keys.map((key) => {
    const own = workflowId ? rows.find((r) => r.key === key && r.workflow_id === workflowId) : undefined;
    const shared = rows.find((r) => r.key === key && r.workflow_id === null);
    const saved = own ?? shared;
    if (saved)
      return {
        key,
        workflowKey: own ? workflowKey : undefined,
        source: own ? 'WORKFLOW' : 'SHARED',
        description: DEFAULT_TEMPLATES[key]?.description,
        subject: saved.subject,
        text: saved.text_body,
        html: saved.html_body,
        updatedAt: new Date(saved.updated_at),
      };
    const d = DEFAULT_TEMPLATES[key]!;
    return {
      key,
      source: 'DEFAULT',
      description: d.description,
      subject: d.subject,
      text: d.text,
      html: d.html,
    };
  });
}

export interface SaveTemplateInput extends TemplateSource {
  key: string;
  /** Absent: for every workflow. */
  workflowKey?: string;
}

/**
 * Saves a template (admins). It is parsed and rendered against a sample of everything a template
 * sees before it is saved; a fault comes back as INVALID_INPUT naming the part (subject, text, html)
 * with the line and column.
 */
export async function saveTemplate(
  ctx: UseCaseContext,
  config: NotifyConfig,
  input: SaveTemplateInput,
): Promise<TemplateView> {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('change notification templates');
  new Checks()
    .that(KEY.test(input.key), 'key', 'must be 1–64 characters of a-z, 0-9 and -, starting with a letter')
    .text('subject', input.subject, { min: 1, max: 1000 })
    .text('text', input.text, { max: 100_000 })
    .text('html', input.html, { max: 100_000 })
    .done();
  const problems = checkTemplate(input, sampleScope(config));
  if (problems.length) throw new InvalidInputError(problems);
  const workflowId = await workflowIdOf(ctx.em, input.workflowKey);
  const now = ctx.clock.now();
  await ctx.em.execute(
    `insert into notification_template (id, workflow_id, key, subject, text_body, html_body, updated_at, updated_by)
     values (?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (coalesce(workflow_id, '00000000-0000-0000-0000-000000000000'::uuid), key)
     do update set subject = excluded.subject, text_body = excluded.text_body, html_body = excluded.html_body,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [
      randomUUID(),
      workflowId,
      input.key,
      input.subject,
      input.text,
      input.html,
      now.toISOString(),
      ctx.actor.userId ?? null,
    ],
  );
  return {
    key: input.key,
    workflowKey: input.workflowKey,
    source: workflowId ? 'WORKFLOW' : 'SHARED',
    description: DEFAULT_TEMPLATES[input.key]?.description,
    subject: input.subject,
    text: input.text,
    html: input.html,
    updatedAt: now,
  };
}

/** Removes a saved template: the shared one (or the shipped default) applies again. */
export async function deleteTemplate(
  ctx: UseCaseContext,
  key: string,
  workflowKey?: string,
): Promise<boolean> {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('change notification templates');
  const workflowId = await workflowIdOf(ctx.em, workflowKey);
  const rows = await ctx.em.execute<{ id: string }[]>(
    `delete from notification_template where key = ? and workflow_id is not distinct from ? returning id`,
    [key, workflowId],
  );
  if (!rows.length)
    throw new NotFoundError('Notification template', workflowKey ? `${workflowKey}/${key}` : key);
  return true;
}

/** Template keys a workflow's rules may name: shipped, shared, or saved for that workflow. */
export async function knownTemplateKeys(em: EntityManager, workflowKey?: string): Promise<Set<string>> {
  const rows = await em.execute<{ key: string }[]>(
    `select distinct key from notification_template t
      where workflow_id is null or workflow_id = (select id from workflow where key = ?)`,
    [workflowKey ?? null],
  );
  return new Set([...Object.keys(DEFAULT_TEMPLATES), ...rows.map((r) => r.key)]);
}

/**
 * Renders a template for a ticket as it is now, without sending (staff): the requester as recipient,
 * the ticket's latest status change as the event, its open survey's links if it has one. With
 * `source`, renders that draft instead of the saved template.
 */
export async function previewNotification(
  ctx: UseCaseContext,
  config: NotifyConfig,
  input: { ticketId: string; template: string; source?: TemplateSource },
): Promise<RenderedMessage> {
  if (!isStaff(ctx.actor)) throw new NotPermittedError('preview notifications');
  const ticket = await ctx.em.findOne(Ticket, input.ticketId);
  if (!ticket || !canReadTicket(ctx.actor, ticket, ctx.visibility))
    throw new NotFoundError('Ticket', input.ticketId);
  const def = await definitionOf(ctx.em, ticket.workflowVersion.id);
  const [last] = await ctx.em.execute<
    { seq: string; type: string; payload: Record<string, unknown>; occurred_at: string; actor_kind: string }[]
  >(
    `select seq, type, payload, occurred_at, actor_kind from ticket_event
      where ticket_id = ? and type = any(array['STATUS_CHANGED', 'TICKET_CREATED']) order by seq desc limit 1`,
    [ticket.id],
  );
  const survey = await latestSurvey(ctx.em, ticket.id);
  const event: FeedEvent = {
    seq: Number(last?.seq ?? 0),
    ticketId: ticket.id,
    type: (last?.type as TicketEventType) ?? TicketEventType.TICKET_CREATED,
    actorKind: (last?.actor_kind as FeedEvent['actorKind']) ?? 'SYSTEM',
    payload: {
      ...(last?.payload ?? {}),
      ...(survey
        ? { surveyId: survey.id, scale: survey.scale, closesAt: survey.closesAt.toISOString() }
        : {}),
    },
    internal: false,
    occurredAt: last ? new Date(last.occurred_at) : ctx.clock.now(),
  };
  const scope = await buildScope(ctx.em, config, def, ticket.id, event, 'REQUESTER');
  if (survey)
    scope.survey = surveyScope(config, { ...event, type: TicketEventType.SATISFACTION_SURVEY_OPENED });
  let compiled;
  if (input.source) {
    try {
      compiled = compileTemplate(input.source);
    } catch (err) {
      const e = err as TemplateError;
      throw InvalidInputError.field(`source.${e.part}`, e.detail);
    }
  } else {
    const wv = await ctx.em.execute<{ workflow_id: string }[]>(
      'select workflow_id from workflow_version where id = ?',
      [ticket.workflowVersion.id],
    );
    compiled = (await loadTemplates(ctx.em, [{ workflowId: wv[0]!.workflow_id, key: input.template }])).get(
      `${wv[0]!.workflow_id}|${input.template}`,
    );
    if (!compiled) throw InvalidInputError.field('template', `no template "${input.template}"`);
  }
  try {
    return renderTemplate(compiled, scope);
  } catch (err) {
    const e = err as TemplateError;
    throw InvalidInputError.field(input.source ? `source.${e.part}` : 'template', e.detail ?? e.message);
  }
}
