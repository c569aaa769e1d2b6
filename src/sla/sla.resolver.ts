import { Arg, Ctx, FieldResolver, Float, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isStaff } from '../access/policy.js';
import { inTransaction, useCaseContext, type RequestContext } from '../server/context.js';
import { parseOptionalId } from '../server/global-id.js';
import { authed, mutate, query } from '../server/guard.js';
import { plainInput } from '../server/plain-input.js';
import { NotPermittedError } from '../shared/errors.js';
import type { Ticket } from '../ticket/ticket.entity.js';
import { TicketType } from '../ticket/ticket.types.js';
import { statusOf } from '../workflow/rules.js';
import { definitionOf } from '../workflow/workflow-store.js';
import { applySlaPolicy, previewSlaPolicy } from './apply-policy.js';
import { createCalendar } from './business-calendar.js';
import type { BusinessCalendarDefinition } from './calendar-definition.js';
import type { TargetResult } from './clock.js';
import { slaMetrics, ticketsAtRisk, type MetricsGroupBy } from './metrics.js';
import type { SlaPolicyDefinition } from './policy-definition.js';
import {
  createBusinessCalendar,
  createSlaPolicy,
  updateBusinessCalendar,
  updateSlaPolicy,
} from './save-sla.js';
import { calendarDefinition, evaluateFromHistory } from './sla-service.js';
import {
  BusinessCalendarEntity,
  BusinessCalendarVersion,
  SlaPolicy,
  SlaPolicyVersion,
} from './sla.entity.js';
import {
  ApplySlaPolicyPayload,
  AtRiskTarget,
  BusinessCalendarDefinitionGql,
  BusinessCalendarPayload,
  BusinessCalendarType,
  CreateBusinessCalendarInput,
  CreateSlaPolicyInput,
  MetricsGroupByEnum,
  SlaExplanation,
  SlaMetricsFilterInput,
  SlaMetricsGroup,
  SlaPolicyDefinitionGql,
  SlaPolicyPayload,
  SlaPolicyType,
  SlaPreviewRow,
  SlaTargetStatus,
  TicketSlaType,
  UpdateBusinessCalendarInput,
  UpdateSlaPolicyInput,
} from './sla.types.js';

type TicketRoot = Readonly<Ticket>;
type CalendarRoot = Readonly<BusinessCalendarEntity>;
type PolicyRoot = Readonly<SlaPolicy>;

function staffOnly(ctx: RequestContext) {
  const c = authed(ctx);
  if (!isStaff(c.actor)) throw new NotPermittedError('see SLA configuration and reports');
  return c;
}

@Resolver(() => BusinessCalendarType)
export class BusinessCalendarResolver {
  @Query(() => [BusinessCalendarType])
  async businessCalendars(@Ctx() ctx: RequestContext): Promise<BusinessCalendarEntity[]> {
    staffOnly(ctx);
    return ctx.em.find(BusinessCalendarEntity, {}, { orderBy: { key: 'asc' } });
  }

  @Mutation(() => BusinessCalendarPayload, { description: 'Admins' })
  async createBusinessCalendar(
    @Arg('input') input: CreateBusinessCalendarInput,
    @Ctx() ctx: RequestContext,
  ): Promise<BusinessCalendarPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      calendar: (await inTransaction(c, (ctx) =>
        createBusinessCalendar(ctx, {
          ...input,
          definition: plainInput(input.definition) as BusinessCalendarDefinition,
        }),
      )) as never,
    }));
  }

  @Mutation(() => BusinessCalendarPayload, { description: 'Admins: a new definition is a new version' })
  async updateBusinessCalendar(
    @Arg('input') input: UpdateBusinessCalendarInput,
    @Ctx() ctx: RequestContext,
  ): Promise<BusinessCalendarPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      calendar: (await inTransaction(c, (ctx) =>
        updateBusinessCalendar(ctx, {
          key: input.key,
          name: input.name ?? undefined,
          definition: input.definition
            ? (plainInput(input.definition) as BusinessCalendarDefinition)
            : undefined,
        }),
      )) as never,
    }));
  }

  @FieldResolver(() => Int)
  version(@Root() cal: CalendarRoot): number {
    return cal.currentVersion;
  }

  @FieldResolver(() => BusinessCalendarDefinitionGql)
  async definition(
    @Root() cal: CalendarRoot,
    @Ctx() ctx: RequestContext,
  ): Promise<BusinessCalendarDefinition> {
    return (
      await ctx.em.findOneOrFail(BusinessCalendarVersion, { calendar: cal.id, version: cal.currentVersion })
    ).definition;
  }

  @FieldResolver(() => Float)
  async businessDayHours(@Root() cal: CalendarRoot, @Ctx() ctx: RequestContext): Promise<number> {
    return createCalendar(await this.definition(cal, ctx)).businessDayMs / 3_600_000;
  }
}

@Resolver(() => SlaPolicyType)
export class SlaPolicyResolver {
  @Query(() => [SlaPolicyType], { description: 'In the order they are tried' })
  async slaPolicies(@Ctx() ctx: RequestContext): Promise<SlaPolicy[]> {
    staffOnly(ctx);
    return ctx.em.find(SlaPolicy, {}, { orderBy: { position: 'asc', key: 'asc' } });
  }

  @Query(() => [SlaPreviewRow], {
    description:
      'Admins, a dry run: open tickets on older versions and their new due dates; for a deactivated policy, every open ticket on it and the policy that matches it now (at most 1,000 tickets a call)',
  })
  async previewSlaPolicy(@Arg('key') key: string, @Ctx() ctx: RequestContext): Promise<SlaPreviewRow[]> {
    const c = authed(ctx);
    return query(async () => {
      const rows = await previewSlaPolicy(useCaseContext(c), key);
      const tickets = await Promise.all(rows.map((r) => c.loaders.ticket.load(r.ticketId)));
      return rows.map((r, i) => ({ ...r, kind: r.kind as never, ticket: tickets[i] as never }));
    });
  }

  @Mutation(() => SlaPolicyPayload, { description: 'Admins' })
  async createSlaPolicy(
    @Arg('input') input: CreateSlaPolicyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<SlaPolicyPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      policy: (await inTransaction(c, (ctx) =>
        createSlaPolicy(ctx, {
          ...plainInput(input),
          position: input.position ?? undefined,
          active: input.active ?? undefined,
          definition: plainInput(input.definition) as SlaPolicyDefinition,
        }),
      )) as never,
    }));
  }

  @Mutation(() => SlaPolicyPayload, {
    description:
      'Admins: a new definition is a new version; running tickets keep theirs until applySlaPolicy',
  })
  async updateSlaPolicy(
    @Arg('input') input: UpdateSlaPolicyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<SlaPolicyPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      policy: (await inTransaction(c, (ctx) =>
        updateSlaPolicy(ctx, {
          key: input.key,
          name: input.name ?? undefined,
          position: input.position ?? undefined,
          active: input.active ?? undefined,
          definition: input.definition ? (plainInput(input.definition) as SlaPolicyDefinition) : undefined,
        }),
      )) as never,
    }));
  }

  @Mutation(() => ApplySlaPolicyPayload, {
    description:
      'Admins: move open tickets onto the current version, or, for a deactivated policy, onto the policy that matches them now (at most 1,000 a call: call again until it returns 0); recorded in their event log',
  })
  async applySlaPolicy(@Arg('key') key: string, @Ctx() ctx: RequestContext): Promise<ApplySlaPolicyPayload> {
    const c = authed(ctx);
    return mutate(async () => ({
      tickets: (await inTransaction(c, (ctx) => applySlaPolicy(ctx, key))).tickets,
    }));
  }

  @FieldResolver(() => Int)
  version(@Root() p: PolicyRoot): number {
    return p.currentVersion;
  }

  @FieldResolver(() => SlaPolicyDefinitionGql)
  async definition(@Root() p: PolicyRoot, @Ctx() ctx: RequestContext): Promise<SlaPolicyDefinition> {
    return (await ctx.em.findOneOrFail(SlaPolicyVersion, { policy: p.id, version: p.currentVersion }))
      .definition;
  }
}

@Resolver()
export class SlaReportResolver {
  @Query(() => [SlaMetricsGroup], { description: 'Staff: compliance and response times, grouped' })
  async slaMetrics(
    @Ctx() ctx: RequestContext,
    @Arg('filter', () => SlaMetricsFilterInput, { nullable: true }) filter?: SlaMetricsFilterInput,
    @Arg('groupBy', () => MetricsGroupByEnum, { defaultValue: 'NONE' }) groupBy: MetricsGroupBy = 'NONE',
    @Arg('firstResponseWithinMinutes', () => Int, {
      defaultValue: 60,
      description: 'For firstRespondedWithinShare (seed 002: 1 hour)',
    })
    withinMinutes = 60,
    @Arg('atRiskWithinMinutes', () => Int, { defaultValue: 60 }) atRiskMinutes = 60,
  ): Promise<SlaMetricsGroup[]> {
    const c = staffOnly(ctx);
    return query(async () => {
      const f = filter ?? {};
      return slaMetrics(c.em, {
        filter: {
          from: f.from ?? undefined,
          to: f.to ?? undefined,
          priority: f.priority ?? undefined,
          channel: f.channel ?? undefined,
          planId: parseOptionalId('Plan', f.planId, 'filter.planId') ?? undefined,
          teamId: parseOptionalId('Team', f.teamId, 'filter.teamId') ?? undefined,
          agentId: parseOptionalId('User', f.agentId, 'filter.agentId') ?? undefined,
          organizationId:
            parseOptionalId('Organization', f.organizationId, 'filter.organizationId') ?? undefined,
        },
        groupBy,
        withinSeconds: withinMinutes * 60,
        atRiskSeconds: atRiskMinutes * 60,
        now: c.clock.now(),
      }) as Promise<SlaMetricsGroup[]>;
    });
  }

  @Query(() => [AtRiskTarget], { description: 'Staff: running targets due within the window, soonest first' })
  async ticketsAtRisk(
    @Ctx() ctx: RequestContext,
    @Arg('withinMinutes', () => Int, { defaultValue: 60 }) withinMinutes = 60,
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
  ): Promise<AtRiskTarget[]> {
    const c = staffOnly(ctx);
    return query(async () => {
      const now = c.clock.now();
      const rows = await ticketsAtRisk(c.em, { withinSeconds: withinMinutes * 60, now, first });
      const tickets = await Promise.all(rows.map((r) => c.loaders.ticket.load(r.ticketId)));
      return rows.map((r, i) => ({
        ...r,
        ticket: tickets[i] as never,
        secondsToBreach: Math.round((r.dueAt.getTime() - now.getTime()) / 1000),
      }));
    });
  }
}

const seconds = (ms: number) => Math.round(ms / 1000);

@Resolver(() => TicketType)
export class TicketSlaResolver {
  @FieldResolver(() => TicketSlaType, {
    nullable: true,
    description: 'The ticket’s SLA targets; null when no policy applies',
  })
  async sla(@Root() t: TicketRoot, @Ctx() ctx: RequestContext): Promise<TicketSlaType | null> {
    const c = authed(ctx);
    // Batched per page: one statement for the headers, one for the histories, whatever the page size.
    const [header, events] = await Promise.all([
      c.loaders.slaHeader.load(t.id),
      c.loaders.history.load(t.id),
    ]);
    if (!header) return null;
    const def = await definitionOf(c.em, t.workflowVersion.id);
    const now = c.clock.now();
    const evaluated = await evaluateFromHistory(c.em, {
      events,
      def,
      now,
      policyVersionId: header.policy_version_id,
      calendarVersionId: header.calendar_version_id,
    });
    const calendar = createCalendar(await calendarDefinition(c.em, header.calendar_version_id));
    const order = ['FIRST_RESPONSE', 'NEXT_RESPONSE', 'PERIODIC_UPDATE', 'RESOLUTION'];
    const targets = evaluated.results.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    return {
      policy: { key: header.policy_key, name: header.policy_name, version: header.policy_version },
      calendar: { key: header.calendar_key, name: header.calendar_name, version: header.calendar_version },
      targets: targets.map((r): SlaTargetStatus => ({
        kind: r.kind,
        name: r.name,
        state: r.state,
        clock: r.clock,
        targetSeconds: seconds(r.targetMs),
        outsideBusinessHours: r.outsideHoursAlternative,
        cycle: r.cycle,
        startedAt: r.startedAt === undefined ? undefined : new Date(r.startedAt),
        dueAt: r.dueAt === undefined ? undefined : new Date(r.dueAt),
        elapsedSeconds: seconds(r.elapsedMs),
        remainingSeconds: seconds(r.remainingMs),
        pausedSeconds: seconds(r.pausedMs),
        pausedBy: r.state === 'PAUSED' ? statusOf(def, t.status) : undefined,
        achievedAt: r.achievedAt === undefined ? undefined : new Date(r.achievedAt),
        breachedAt: r.breachedAt === undefined ? undefined : new Date(r.breachedAt),
        nextWarningAt: r.nextWarningAt === undefined ? undefined : new Date(r.nextWarningAt),
        explain: explain(r, calendar, (key) => statusOf(def, key), t.status, now.getTime()),
      })),
    };
  }
}

function explain(
  r: TargetResult,
  calendar: ReturnType<typeof createCalendar>,
  status: (key: string) => { key: string; name: string; category: string },
  currentStatus: string,
  now: number,
): SlaExplanation {
  const business = r.clock === 'BUSINESS';
  // How the due date is reached from here: the stretch from now to it, if nothing changes.
  const projection =
    r.state === 'ACTIVE' && r.dueAt !== undefined && r.dueAt > now
      ? [
          {
            start: now,
            end: r.dueAt,
            status: currentStatus,
            counted: true,
            measuredMs: r.remainingMs,
            projected: true,
          },
        ]
      : [];
  const stretches = [...r.segments.map((s) => ({ ...s, projected: false })), ...projection];
  const segments = stretches.map((s) => ({
    start: new Date(s.start),
    end: new Date(s.end),
    status: status(s.status) as never,
    counted: s.counted,
    projected: s.projected,
    measuredSeconds: seconds(s.measuredMs),
    businessIntervals:
      s.counted && business
        ? calendar
            .intervalsBetween(s.start, s.end)
            .map((i) => ({ start: new Date(i.start), end: new Date(i.end) }))
        : s.counted
          ? [{ start: new Date(s.start), end: new Date(s.end) }]
          : [],
  }));
  const holidays = business
    ? stretches.filter((s) => s.counted).flatMap((s) => calendar.holidaysBetween(s.start, s.end))
    : [];
  const h = (ms: number) => {
    const minutes = Math.round(ms / 60_000);
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  };
  const summary =
    `${r.kind} target ${h(r.targetMs)} of ${business ? 'business time' : 'time (24/7)'}` +
    (r.outsideHoursAlternative ? ' (created outside business hours)' : '') +
    `: ${h(r.elapsedMs)} counted, ${h(r.pausedMs)} paused` +
    (r.dueAt !== undefined && r.state !== 'BREACHED' ? `, due ${new Date(r.dueAt).toISOString()}` : '') +
    (r.state === 'BREACHED' && r.breachedAt !== undefined
      ? `, breached ${new Date(r.breachedAt).toISOString()}`
      : '') +
    (r.state === 'ACHIEVED' && r.achievedAt !== undefined
      ? `, achieved ${new Date(r.achievedAt).toISOString()}`
      : '') +
    (holidays.length ? `; holidays skipped: ${holidays.map((x) => x.date).join(', ')}` : '') +
    '.';
  const cycles = r.cycles.map((c) => ({
    number: c.number,
    start: new Date(c.start),
    end: c.end === undefined ? undefined : new Date(c.end),
    state: c.end === undefined ? r.state : c.breachedAt !== undefined ? 'BREACHED' : 'ACHIEVED',
    elapsedSeconds: seconds(c.elapsedMs),
    breachedAt: c.breachedAt === undefined ? undefined : new Date(c.breachedAt),
  }));
  return { summary, cycles, segments, holidaysSkipped: holidays };
}
