import { canManageWorkflows } from '../access/policy.js';
import { Organization } from '../directory/organization.entity.js';
import { Checks } from '../shared/checks.js';
import { InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';

/** At most this many email domains per organization. */
export const MAX_EMAIL_DOMAINS = 50;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Admins set the email domains of an organization (issue 15): an unknown sender from one of them who
 * writes to the help desk becomes a requester of that organization (INBOUND_NEW_SENDERS=organization),
 * and CCs from them become participants. A domain belongs to one organization at most. Errors:
 * NOT_PERMITTED (not an admin), NOT_FOUND, INVALID_INPUT naming `domains[i]`.
 */
export async function setOrganizationEmailDomains(
  ctx: UseCaseContext,
  input: { organizationId: string; domains: string[] },
): Promise<Organization> {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('set email domains');
  const domains = [...new Set(input.domains.map((d) => d.trim().toLowerCase().replace(/^@/, '')))];
  const checks = new Checks().that(
    domains.length <= MAX_EMAIL_DOMAINS,
    'domains',
    `at most ${MAX_EMAIL_DOMAINS} domains`,
  );
  domains.forEach((d, i) => checks.that(DOMAIN.test(d), `domains[${i}]`, `"${d}" is not a domain name`));
  checks.done();
  const org = await ctx.em.findOne(Organization, input.organizationId);
  if (!org) throw new NotFoundError('Organization', input.organizationId);
  if (domains.length) {
    const taken = await ctx.em.execute<{ name: string; domain: string }[]>(
      `select name, d as domain from organization, unnest(email_domains) d where id <> ? and d = any(?::text[])`,
      [org.id, `{${domains.join(',')}}`],
    );
    if (taken.length)
      throw new InvalidInputError(
        taken.map((t) => ({
          field: `domains[${domains.indexOf(t.domain)}]`,
          message: `${t.domain} belongs to ${t.name} already`,
        })),
      );
  }
  org.emailDomains = domains;
  await ctx.em.flush();
  return org;
}
