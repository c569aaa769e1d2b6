import type { Organization } from './organization.entity.js';
import type { Plan } from './plan.entity.js';
import type { Team } from './team.entity.js';
import type { User } from './user.entity.js';

/** Rows to plain objects of the entities' shapes, for the read path (see ticket-read.ts for why). */
const stub = (id: unknown) => (id ? { id: id as string } : undefined);

export const userFromRow = (r: Record<string, unknown>) =>
  ({
    __typename: 'User',
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    tier: r.tier ?? undefined,
    available: r.available,
    organization: stub(r.organization_id),
  }) as unknown as User;

export const organizationFromRow = (r: Record<string, unknown>) =>
  ({
    __typename: 'Organization',
    id: r.id,
    name: r.name,
    plan: stub(r.plan_id),
    workflowKey: r.workflow_key ?? undefined,
    leadAgent: stub(r.lead_agent_id),
    emailDomains: (r.email_domains as string[] | undefined) ?? [],
  }) as unknown as Organization;

export const teamFromRow = (r: Record<string, unknown>) =>
  ({ __typename: 'Team', id: r.id, key: r.key, name: r.name }) as unknown as Team;

export const planFromRow = (r: Record<string, unknown>) =>
  ({ __typename: 'Plan', id: r.id, name: r.name, defaultPriority: r.default_priority }) as unknown as Plan;
