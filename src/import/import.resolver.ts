import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { inTransaction, useCaseContext, type RequestContext } from '../server/context.js';
import { parseOptionalId } from '../server/global-id.js';
import { authed, mutate } from '../server/guard.js';
import { toUserErrors, type UserError } from '../server/user-errors.js';
import type { TicketType } from '../ticket/ticket.types.js';
import { importTicket, importTickets, type ImportTicketInput as Input } from './import-tickets.js';
import {
  ImportTicketInput,
  ImportTicketPayload,
  ImportTicketsInput,
  ImportTicketsPayload,
  ImportTicketResultType,
} from './import.types.js';

/** GraphQL input → the use case's input (global ids parsed; a bad id is that item's INVALID_INPUT). */
function toInput(i: ImportTicketInput): Input {
  return {
    ...i,
    requesterId: parseOptionalId('User', i.requesterId, 'requesterId') ?? undefined,
    requesterEmail: i.requesterEmail ?? undefined,
    requesterName: i.requesterName ?? undefined,
    teamId: parseOptionalId('Team', i.teamId, 'teamId') ?? undefined,
    priority: i.priority ?? undefined,
    category: i.category ?? undefined,
    workflowKey: i.workflowKey ?? undefined,
    assigneeEmail: i.assigneeEmail ?? undefined,
    tags: i.tags ?? undefined,
    comments: i.comments?.map((c) => ({ ...c, authorEmail: c.authorEmail ?? undefined })),
    statusChanges: i.statusChanges?.map((c) => ({
      ...c,
      reason: c.reason ?? undefined,
      byEmail: c.byEmail ?? undefined,
    })),
  };
}

/** An item's errors name the item: `tickets[3].comments[0].at`, "tickets[3] (external id …): …". */
function inItem(errors: UserError[], index: number, externalId: string): UserError[] {
  const at = `tickets[${index}]`;
  return errors.map((e) => ({
    ...e,
    field: e.field ? `${at}.${e.field}` : at,
    message: `${at} (external id "${externalId}"): ${e.message}`,
  }));
}

/** Thin: authorize (the schema's operation rules: admins, partners with the `import` scope), call the use case. */
@Resolver()
export class ImportResolver {
  @Mutation(() => ImportTicketPayload, {
    description:
      'Admins and partners (scope import): one ticket from another help desk, with its history at its original times (docs/IMPORT.md)',
  })
  async importTicket(
    @Arg('input') input: ImportTicketInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ImportTicketPayload> {
    const c = authed(ctx);
    const payload = await mutate(async () => {
      const r = await inTransaction(c, (ctx) => importTicket(ctx, toInput(input)));
      return { ticket: r.ticket as unknown as TicketType, created: r.created };
    });
    return { ...payload, created: payload.created ?? false };
  }

  @Mutation(() => ImportTicketsPayload, {
    description:
      'Admins and partners (scope import): up to 1,000 tickets with their histories, each imported on its own; refused items are reported, the others imported',
  })
  async importTickets(
    @Arg('input') input: ImportTicketsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ImportTicketsPayload> {
    const c = authed(ctx);
    const touched = new Set<string>();
    const payload = await mutate(async () => {
      const outcomes = await importTickets({ ...useCaseContext(c), touched }, input.tickets, toInput);
      const results: ImportTicketResultType[] = outcomes.map((o) =>
        o.ok
          ? {
              index: o.index,
              externalId: o.item.externalId,
              errors: [],
              ticket: o.result.ticket as unknown as TicketType,
              created: o.result.created,
            }
          : {
              index: o.index,
              externalId: o.item.externalId,
              errors: inItem(toUserErrors(o.error), o.index, o.item.externalId),
              ticket: null,
              created: false,
            },
      );
      return {
        results,
        created: results.filter((r) => r.created).length,
        unchanged: results.filter((r) => r.ticket && !r.created).length,
        failed: results.filter((r) => r.errors.length).length,
      };
    });
    // The imported tickets' deadlines (SLA warnings and breaches ahead), scheduled once for the batch.
    await c.scheduler?.sync(touched);
    // A refused batch (too many tickets) has errors only.
    return Object.assign({ results: [], created: 0, unchanged: 0, failed: 0 }, payload);
  }
}

/**
 * A refused call (NOT_PERMITTED, answered by the schema's operation guard) has only `errors`: the other
 * fields of the payloads then read as nothing done.
 */
@Resolver(() => ImportTicketPayload)
export class ImportTicketPayloadResolver {
  @FieldResolver(() => Boolean)
  created(@Root() p: Partial<ImportTicketPayload>): boolean {
    return p.created ?? false;
  }
}

@Resolver(() => ImportTicketsPayload)
export class ImportTicketsPayloadResolver {
  @FieldResolver(() => [ImportTicketResultType])
  results(@Root() p: Partial<ImportTicketsPayload>): ImportTicketResultType[] {
    return p.results ?? [];
  }

  @FieldResolver(() => Int)
  created(@Root() p: Partial<ImportTicketsPayload>): number {
    return p.created ?? 0;
  }

  @FieldResolver(() => Int)
  unchanged(@Root() p: Partial<ImportTicketsPayload>): number {
    return p.unchanged ?? 0;
  }

  @FieldResolver(() => Int)
  failed(@Root() p: Partial<ImportTicketsPayload>): number {
    return p.failed ?? 0;
  }
}
