import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { isStaff } from '../access/policy.js';
import { OrganizationPayload, OrganizationType } from '../directory/directory.types.js';
import type { Organization } from '../directory/organization.entity.js';
import { inTransaction, type RequestContext } from '../server/context.js';
import { parseId } from '../server/global-id.js';
import { authed, mutate, query } from '../server/guard.js';
import { InvalidInputError } from '../shared/errors.js';
import type { Ticket } from '../ticket/ticket.entity.js';
import { TicketType } from '../ticket/ticket.types.js';
import {
  InboundEmailStatusEnum,
  InboundEmailType,
  SetOrganizationEmailDomainsInput,
} from './inbound.types.js';
import { setOrganizationEmailDomains } from './organization-domains.js';

/** The GraphQL surface of inbound mail: the received messages (staff) and organizations' email domains (admins). */
@Resolver(() => InboundEmailType)
export class InboundResolver {
  @Query(() => [InboundEmailType], {
    description:
      'Staff: received mail, newest first, with what became of each and why (filter by status, e.g. [REJECTED, IGNORED])',
  })
  async inboundEmails(
    @Ctx() ctx: RequestContext,
    @Arg('status', () => [InboundEmailStatusEnum], { nullable: true }) status?: InboundEmailStatusEnum[],
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
  ): Promise<InboundEmailType[]> {
    const c = authed(ctx);
    return query(async () => {
      if (first < 1 || first > 500) throw InvalidInputError.field('first', 'must be between 1 and 500');
      const rows = await c.em.execute<Record<string, unknown>[]>(
        `select id, message_id, source, from_address, recipients, subject, status, reason, detail, size, text_body,
                received_at, ticket_id
           from inbound_email
          where status <> 'RECEIVING' ${status?.length ? 'and status = any(?::text[])' : ''}
          order by received_at desc, id desc limit ?`,
        status?.length ? [`{${status.join(',')}}`, first] : [first],
      );
      return rows.map((r) => ({
        id: r.id as string,
        messageId: r.message_id as string,
        source: r.source as string,
        from: (r.from_address as string | null) ?? undefined,
        recipients: (r.recipients as string[]) ?? [],
        subject: r.subject as string,
        status: r.status as InboundEmailStatusEnum,
        reason: (r.reason as string | null) ?? undefined,
        detail: (r.detail as string | null) ?? undefined,
        size: Number(r.size),
        text: (r.text_body as string | null) ?? undefined,
        receivedAt: new Date(r.received_at as string),
        ticketId: (r.ticket_id as string | null) ?? undefined,
      }));
    });
  }

  @FieldResolver(() => TicketType, { nullable: true })
  async ticket(@Root() e: InboundEmailType, @Ctx() ctx: RequestContext): Promise<Ticket | undefined> {
    return e.ticketId ? ctx.loaders.ticket.load(e.ticketId) : undefined;
  }

  @Mutation(() => OrganizationPayload, {
    description:
      'Admins: the email domains of an organization; unknown senders from them become its requesters by mail (docs/INBOUND.md)',
  })
  async setOrganizationEmailDomains(
    @Arg('input') input: SetOrganizationEmailDomainsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<OrganizationPayload> {
    const c = authed(ctx);
    return mutate(async () => {
      const org = await inTransaction(c, (tx) =>
        setOrganizationEmailDomains(tx, {
          organizationId: parseId('Organization', input.organizationId, 'organizationId'),
          domains: input.domains,
        }),
      );
      c.loaders.organization.clear(org.id);
      return { organization: (await c.loaders.organization.load(org.id)) as never };
    });
  }
}

@Resolver(() => OrganizationType)
export class OrganizationDomainsResolver {
  @FieldResolver(() => [String], {
    description: 'Staff: the organization’s email domains (empty for others)',
  })
  emailDomains(@Root() o: Readonly<Organization>, @Ctx() ctx: RequestContext): string[] {
    return isStaff(authed(ctx).actor) ? (o.emailDomains ?? []) : [];
  }
}
