import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../access/actor.js';
import { TicketEventType } from '../events/event-types.js';
import { durationMs } from '../shared/duration.js';
import { Checks } from '../shared/checks.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { TicketChange } from '../ticket/ticket-changes.js';
import type { Ticket } from '../ticket/ticket.entity.js';
import type { StatusCategory, WorkflowDefinition } from '../workflow/definition.js';
import { DEFAULT_SURVEY_OPEN_FOR, type SurveyScale } from './rules.js';
import { RATINGS, scoreOf } from './survey-links.js';

/**
 * Satisfaction surveys (CSAT). A workflow with `satisfaction` opens a survey for the requester when a
 * ticket enters a status of its category (seed 004: Resolved), recorded as SATISFACTION_SURVEY_OPENED
 * (which a notification rule may send, with one-click links). The requester rates it through a link
 * or `rateTicket` and may change the rating until it closes: `openFor` after it opened (default 7
 * days), or when the ticket closes, whichever comes first. Re-entering the category opens a new survey
 * and closes the old one. Each rating is a SATISFACTION_RATED event.
 */
export interface Survey {
  id: string;
  ticketId: string;
  requesterId: string;
  scale: SurveyScale;
  openedAt: Date;
  closesAt: Date;
  /** 1–5 (GOOD_BAD: good 5, bad 1). */
  rating?: number;
  good?: boolean;
  comment?: string;
  ratedAt?: Date;
}

const rowToSurvey = (r: Record<string, unknown>): Survey => ({
  id: r.id as string,
  ticketId: r.ticket_id as string,
  requesterId: r.requester_id as string,
  scale: r.scale as SurveyScale,
  openedAt: new Date(r.opened_at as string),
  closesAt: new Date(r.closes_at as string),
  rating: r.rating === null ? undefined : Number(r.rating),
  good: (r.good as boolean | null) ?? undefined,
  comment: (r.comment as string | null) ?? undefined,
  ratedAt: r.rated_at ? new Date(r.rated_at as string) : undefined,
});

/** The rating as a person would say it: "good"/"bad" or "1"–"5". */
export const ratingLabel = (s: Survey): string | undefined =>
  s.rating === undefined ? undefined : s.scale === 'GOOD_BAD' ? (s.good ? 'good' : 'bad') : String(s.rating);

/**
 * In a ticket change, after the ticket entered a status of `entered` category: opens a survey (and
 * closes any earlier one) when the workflow asks for one there; closes open surveys when the ticket
 * closes. Returns the SATISFACTION_SURVEY_OPENED payload to record, if one opened.
 */
export async function surveysOnEntering(
  em: EntityManager,
  ticket: Ticket,
  def: WorkflowDefinition,
  entered: StatusCategory,
  now: Date,
): Promise<Record<string, unknown> | undefined> {
  const settings = def.satisfaction;
  const opening = settings && settings.category === entered;
  if (entered === 'CLOSED' || opening)
    await em.execute('update satisfaction_survey set closes_at = ? where ticket_id = ? and closes_at > ?', [
      now.toISOString(),
      ticket.id,
      now.toISOString(),
    ]);
  if (!opening) return undefined;
  const id = randomUUID();
  const closesAt = new Date(now.getTime() + durationMs(settings.openFor ?? DEFAULT_SURVEY_OPEN_FOR));
  await em.execute(
    `insert into satisfaction_survey (id, ticket_id, requester_id, scale, opened_at, closes_at) values (?, ?, ?, ?, ?, ?)`,
    [id, ticket.id, ticket.requester.id, settings.scale, now.toISOString(), closesAt.toISOString()],
  );
  return { surveyId: id, scale: settings.scale, closesAt: closesAt.toISOString() };
}

/** A ticket's latest survey, if it ever had one. */
export async function latestSurvey(em: EntityManager, ticketId: string): Promise<Survey | undefined> {
  const [row] = await em.execute<Record<string, unknown>[]>(
    'select * from satisfaction_survey where ticket_id = ? order by opened_at desc limit 1',
    [ticketId],
  );
  return row ? rowToSurvey(row) : undefined;
}

export async function surveyById(em: EntityManager, id: string): Promise<Survey | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await em.execute<Record<string, unknown>[]>(
    'select * from satisfaction_survey where id = ?',
    [id],
  );
  return row ? rowToSurvey(row) : undefined;
}

export const surveyOpen = (s: Survey, now: Date) => now.getTime() < s.closesAt.getTime();

export interface RateTicketInput {
  /** The ticket (portal): its latest survey is rated. */
  ticketId?: string;
  /** The survey (a signed link). */
  surveyId?: string;
  /** "good"/"bad" or "1"–"5", by the survey's scale. */
  rating: string;
  comment?: string;
}

/**
 * Rates a ticket's survey, or changes the rating (the survey's requester only). NOT_FOUND without a
 * survey; CONFLICT once it closed; INVALID_INPUT for a rating outside its scale.
 */
export async function rateTicket(
  ctx: UseCaseContext,
  input: RateTicketInput,
): Promise<{ ticket: Ticket; survey: Survey }> {
  new Checks().text('comment', input.comment, { max: 5000 }).done();
  const found = input.surveyId
    ? await surveyById(ctx.em, input.surveyId)
    : await latestSurvey(ctx.em, input.ticketId!);
  if (!found) throw new NotFoundError('Satisfaction survey', input.surveyId ?? input.ticketId ?? '');
  const change = await TicketChange.load(ctx, found.ticketId);
  if (ctx.actor.kind !== 'REQUESTER' || ctx.actor.userId !== found.requesterId)
    throw new NotPermittedError('rate a ticket you did not request');
  // Lock the survey row with the ticket, then read it again.
  const [row] = await ctx.em.execute<Record<string, unknown>[]>(
    'select * from satisfaction_survey where id = ? for update',
    [found.id],
  );
  const survey = rowToSurvey(row!);
  const score = scoreOf(survey.scale, input.rating.trim().toLowerCase());
  if (!score) throw InvalidInputError.field('rating', `must be one of ${RATINGS[survey.scale].join(', ')}`);
  if (!surveyOpen(survey, change.now))
    throw new ConflictError(
      `The survey closed at ${survey.closesAt.toISOString()}; the rating can no longer change`,
    );
  const comment = input.comment === undefined ? survey.comment : input.comment.trim() || undefined;
  await ctx.em.execute(
    'update satisfaction_survey set rating = ?, good = ?, comment = ?, rated_at = ?, rated_by = ? where id = ?',
    [score.rating, score.good, comment ?? null, change.now.toISOString(), ctx.actor.userId, survey.id],
  );
  change.record(TicketEventType.SATISFACTION_RATED, {
    surveyId: survey.id,
    scale: survey.scale,
    rating: score.rating,
    good: score.good,
    hasComment: comment !== undefined,
    changed: survey.rating !== undefined,
  });
  await change.commit();
  return {
    ticket: change.ticket,
    survey: { ...survey, ...score, comment, ratedAt: change.now },
  };
}

/** The actor a signed survey link acts as: the survey's requester. */
export const surveyActor = (requesterId: string, organizationId?: string): Actor => ({
  kind: 'REQUESTER',
  userId: requesterId,
  organizationId,
});
