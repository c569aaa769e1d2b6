import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Actor } from '../access/actor.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { actorKindOf } from '../access/actor.js';
import { appendEvents, type NewEvent } from '../events/event-log.js';
import { TicketEventType } from '../events/event-types.js';
import { Checks, LIMITS } from '../shared/checks.js';
import { Channel, Priority, Role } from '../shared/enums.js';
import {
  ConflictError,
  DomainError,
  InvalidInputError,
  NotPermittedError,
  type FieldProblem,
} from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { applyMatchingPolicy, recomputeTicketSla } from '../sla/sla-service.js';
import { restartTimers } from '../scheduler/restart-timers.js';
import { Comment } from '../ticket/comment.entity.js';
import { requesterByEmail } from '../ticket/create-ticket.js';
import { slaFacts } from '../ticket/sla-facts.js';
import { normaliseTags } from '../ticket/tags.js';
import { Ticket } from '../ticket/ticket.entity.js';
import type { StatusCategory } from '../workflow/definition.js';
import { categoryOf, categorise } from '../workflow/rules.js';
import { currentVersionFor } from '../workflow/workflow-store.js';
import { importDigest, planHistory, type ImportedComment, type ImportedStatusChange } from './history.js';

/** The most tickets one importTickets call takes. */
export const MAX_IMPORT_BATCH = 1000;

/** One ticket of another help desk, with its history (issue 16, docs/IMPORT.md). */
export interface ImportTicketInput {
  /** The ticket's id in the help desk it comes from: 1–200 characters, unique per importer. */
  externalId: string;
  /** When it was opened there. */
  createdAt: Date;
  subject: string;
  description: string;
  channel: Channel;
  /** Default: the organization's plan's, then MEDIUM. */
  priority?: Priority;
  /** Default: the workflow's categorisation of the text. Admins only. */
  category?: string;
  requesterId?: string;
  /** Instead of requesterId: the requester by email, created on first sight. */
  requesterEmail?: string;
  requesterName?: string;
  /** Admins only: the workflow (default: the organization's, then the default workflow). */
  workflowKey?: string;
  /** Admins only. */
  teamId?: string;
  tags?: string[];
  /** Admins only: the agent the ticket is assigned to, by email (an existing agent or admin). */
  assigneeEmail?: string;
  comments?: ImportedComment[];
  statusChanges?: ImportedStatusChange[];
}

export interface ImportTicketResult {
  ticket: Ticket;
  /** False: this external id was imported before with the same history; nothing was written. */
  created: boolean;
}

const FINAL: StatusCategory[] = ['RESOLVED', 'CLOSED'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Imports one ticket with its history, in the caller's transaction, as if it had happened then: the
 * ticket gets its original creation time, its comments and status changes their times; the SLA clock
 * and the stored targets are computed over that history, at the present (`slaMetrics` reports it like
 * any ticket); every event written is marked `imported` (in the log and replays at its original time,
 * never pushed live or notified).
 *
 * Idempotent by `externalId` (per importer: staff share one namespace, each partner has its own): the
 * same history imported again returns the ticket written the first time (`created: false`) and writes
 * nothing; a different history under a known external id is a CONFLICT on `externalId`.
 *
 * Not replayed from the workflow: no intake move, no automatic assignment, no reply rules, no
 * surveys, no breach actions (the history says what happened). The workflow's timers start at the
 * import, from the status the ticket ends in (a migration does not send catch-up reminders or close
 * tickets the moment they arrive). Errors: INVALID_INPUT naming every field at fault, CONFLICT,
 * NOT_PERMITTED (a requester who is staff).
 */
export async function importTicket(
  ctx: UseCaseContext,
  input: ImportTicketInput,
): Promise<ImportTicketResult> {
  const { em, actor } = ctx;
  const partner = actor.kind === 'PARTNER';
  if (!partner && actor.kind !== 'ADMIN' && actor.kind !== 'SYSTEM')
    throw new NotPermittedError('import tickets');
  const email = input.requesterEmail?.trim().toLowerCase();
  const comments = input.comments ?? [];
  const statusChanges = input.statusChanges ?? [];
  new Checks()
    .text('externalId', input.externalId, { min: 1, max: 200 })
    .text('subject', input.subject, { min: 1, max: LIMITS.subject })
    .text('description', input.description, { max: LIMITS.description })
    .text('requesterName', input.requesterName, { min: 1, max: 200 })
    .that(
      input.requesterId !== undefined || email !== undefined,
      'requesterId',
      'say whom the ticket is for (requesterId or requesterEmail)',
    )
    .that(
      input.requesterId === undefined || email === undefined,
      'requesterEmail',
      'give requesterId or requesterEmail, not both',
    )
    .that(email === undefined || EMAIL.test(email), 'requesterEmail', 'is not an email address')
    .that(!partner || input.workflowKey === undefined, 'workflowKey', 'only admins choose the workflow')
    .that(!partner || input.category === undefined, 'category', 'only admins set the category')
    .that(!partner || input.teamId === undefined, 'teamId', 'only admins set the team')
    .that(!partner || input.assigneeEmail === undefined, 'assigneeEmail', 'only admins assign')
    .done();
  const externalId = input.externalId.trim();
  const digest = importDigest({ ...input, externalId, requesterEmail: email, comments, statusChanges });

  const known = await em.findOne(Ticket, { externalId, partnerId: partner ? actor.partnerId : null });
  if (known) {
    if (known.importDigest === digest) return { ticket: known, created: false };
    throw new ConflictError(
      `Ticket ${known.reference} was imported with external id "${externalId}" and another history; nothing was changed`,
      'externalId',
    );
  }

  const requester = email
    ? await requesterByEmail(em, email, input.requesterName)
    : await em.findOne(User, input.requesterId!, { populate: ['organization.plan'] });
  if (!requester) throw InvalidInputError.field('requesterId', `no user ${input.requesterId}`);
  if (requester.role !== Role.REQUESTER && partner) throw new NotPermittedError('open tickets for staff');
  const organization = requester.organization;
  const version = await currentVersionFor(em, input.workflowKey ?? organization?.workflowKey);
  const def = version.definition;

  // Everything that can be wrong with the item is reported together.
  const problems: FieldProblem[] = [];
  if (input.category !== undefined && !def.categorisation.categories.includes(input.category))
    problems.push({
      field: 'category',
      message: `must be one of ${def.categorisation.categories.join(', ')}`,
    });
  const team = input.teamId ? await em.findOne(Team, input.teamId) : undefined;
  if (input.teamId && !team) problems.push({ field: 'teamId', message: `no team ${input.teamId}` });
  const staffByEmail = new Map<string, User | undefined>();
  const staff = async (address: string | undefined, field: string): Promise<User | undefined> => {
    if (address === undefined) return undefined;
    const key = address.trim().toLowerCase();
    if (!staffByEmail.has(key)) {
      const user = await em.findOne(User, { email: key });
      staffByEmail.set(key, user && user.role !== Role.REQUESTER ? user : undefined);
    }
    const user = staffByEmail.get(key);
    if (!user) problems.push({ field, message: `no agent or admin with the email ${address}` });
    return user;
  };
  const assignee = await staff(input.assigneeEmail, 'assigneeEmail');
  const commentAuthors = await Promise.all(
    comments.map((c, i) => staff(c.authorEmail, `comments[${i}].authorEmail`)),
  );
  const movers = await Promise.all(
    statusChanges.map((c, i) => staff(c.byEmail, `statusChanges[${i}].byEmail`)),
  );
  const plan = planHistory(def, { createdAt: input.createdAt, comments, statusChanges }, ctx.clock.now(), {
    partner,
  });
  problems.push(...plan.problems);
  if (problems.length) throw new InvalidInputError(problems);

  const createdAt = input.createdAt;
  const priority = input.priority ?? organization?.plan?.defaultPriority ?? Priority.MEDIUM;
  const ticket = em.create(Ticket, {
    subject: input.subject.trim(),
    description: input.description,
    channel: input.channel,
    category: input.category ?? categorise(def, input.subject, input.description),
    priority,
    workflowVersion: version,
    status: def.initialStatus,
    statusCategory: categoryOf(def, def.initialStatus),
    tier: 1,
    requester,
    organization,
    team,
    assignee,
    tags: normaliseTags(input.tags ?? []),
    partnerId: partner ? actor.partnerId : undefined,
    externalId,
    importDigest: digest,
    createdAt,
    updatedAt: createdAt,
  } as Ticket);
  try {
    await em.flush(); // the database gives the reference number
  } catch (err) {
    // Another import of the same external id committed first: importing again finds it.
    if (err instanceof UniqueConstraintViolationException)
      throw new ConflictError(
        `"${externalId}" is being imported by another request; import it again`,
        'externalId',
      );
    throw err;
  }

  const events: NewEvent[] = [];
  const record = (
    type: TicketEventType,
    payload: Record<string, unknown>,
    at: Date,
    by: Actor = actor,
    internal = false,
  ) =>
    events.push({ ticketId: ticket.id, type, actor: by, payload, internal, occurredAt: at, imported: true });
  record(
    TicketEventType.TICKET_CREATED,
    {
      reference: ticket.reference,
      channel: ticket.channel,
      priority: ticket.priority,
      category: ticket.category,
      status: ticket.status,
      workflow: { id: version.id, version: version.version },
      externalId,
    },
    createdAt,
  );
  const slaApplied = await applyMatchingPolicy(
    em,
    ticket,
    slaFacts(ticket, version.workflow.key, organization?.plan?.name),
    createdAt,
  );
  if (slaApplied) events.push({ ...slaApplied, imported: true });
  if (assignee) record(TicketEventType.TICKET_ASSIGNED, { from: null, to: assignee.id }, createdAt);

  const personOf = (user: User): Actor => ({ kind: actorKindOf(user.role), userId: user.id });
  for (const entry of plan.entries) {
    if (entry.kind === 'COMMENT') {
      const c = entry.comment;
      const author =
        c.authorKind === 'REQUESTER'
          ? requester
          : c.authorKind === 'AGENT'
            ? commentAuthors[entry.index]
            : undefined;
      const authorKind =
        c.authorKind === 'AGENT' ? (author ? actorKindOf(author.role) : 'AGENT') : c.authorKind;
      const comment = em.create(Comment, {
        ticket,
        author,
        authorKind,
        body: c.body,
        internal: c.internal ?? false,
        createdAt: c.at,
      } as Comment);
      ticket.commentsTotal += 1;
      if (!comment.internal) {
        ticket.commentsPublic += 1;
        if (authorKind === 'AGENT' || authorKind === 'ADMIN') ticket.firstRespondedAt ??= c.at;
      }
      const by: Actor = author ? personOf(author) : c.authorKind === 'PARTNER' ? actor : { kind: 'AGENT' };
      record(
        TicketEventType.COMMENT_ADDED,
        { commentId: comment.id, internal: comment.internal, authorKind },
        c.at,
        by,
        comment.internal,
      );
    } else {
      const mover = movers[entry.index];
      const wasFinal = FINAL.includes(ticket.statusCategory);
      ticket.status = entry.to;
      ticket.statusCategory = categoryOf(def, entry.to);
      const isFinal = FINAL.includes(ticket.statusCategory);
      if (isFinal && !wasFinal) ticket.resolvedAt = entry.at;
      if (!isFinal && wasFinal) ticket.resolvedAt = undefined;
      record(
        TicketEventType.STATUS_CHANGED,
        { from: entry.from, to: entry.to, reason: entry.reason ?? null },
        entry.at,
        mover ? personOf(mover) : actor,
      );
    }
    ticket.updatedAt = entry.at;
  }
  await em.flush();

  const now = ctx.clock.now();
  await restartTimers(em, ticket, def, now);
  // The clock over the whole imported history, at the present. Its findings are history too: each
  // achievement and breach is dated when it happened; a warning (of a target still running) now.
  const sla = await recomputeTicketSla(em, ticket, def, events, now);
  for (const e of sla.events) {
    const at =
      e.type === TicketEventType.SLA_ACHIEVED
        ? e.payload.achievedAt
        : e.type === TicketEventType.SLA_BREACHED
          ? e.payload.breachedAt
          : undefined;
    events.push({ ...e, occurredAt: at instanceof Date ? at : e.occurredAt, imported: true });
  }
  // The log in the order things happened (stable: at one instant, in the order they were recorded).
  events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  await appendEvents(em, events);
  ctx.touched?.add(ticket.id);
  return { ticket, created: true };
}

/** One item's outcome in a batch: its result, or the user error that refused it (nothing of it written). */
export type ImportItemOutcome<T> =
  | { index: number; ok: true; result: ImportTicketResult; item: T }
  | { index: number; ok: false; error: DomainError; item: T };

/**
 * The bulk form: up to MAX_IMPORT_BATCH tickets, each in its own transaction (atomic on its own: a
 * refused item writes nothing and the others go on). `prepare` turns a raw item into the use case's
 * input (parsing ids), and may refuse it with a user error like the use case. Errors other than user
 * errors (the database went away) stop the batch: the items before it are committed, and sending the
 * same batch again is safe (idempotent by external id).
 */
export async function importTickets<T>(
  ctx: UseCaseContext,
  items: readonly T[],
  prepare: (item: T) => ImportTicketInput,
): Promise<ImportItemOutcome<T>[]> {
  if (items.length > MAX_IMPORT_BATCH)
    throw InvalidInputError.field(
      'tickets',
      `at most ${MAX_IMPORT_BATCH} per call (got ${items.length}): split the batch`,
    );
  const out: ImportItemOutcome<T>[] = [];
  for (const [index, item] of items.entries()) {
    try {
      const input = prepare(item);
      // A fresh entity manager per item keeps memory flat over a thousand tickets.
      const result = await ctx.em.fork().transactional((em) => importTicket({ ...ctx, em }, input));
      out.push({ index, ok: true, result, item });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      out.push({ index, ok: false, error: err, item });
    }
  }
  return out;
}
