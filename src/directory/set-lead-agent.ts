import { canManageWorkflows } from '../access/policy.js';
import { Role } from '../shared/enums.js';
import { InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { UseCaseContext } from '../shared/use-case.js';
import { Organization } from './organization.entity.js';
import { User } from './user.entity.js';

export interface SetLeadAgentInput {
  organizationId: string;
  /** An agent's user id; null clears the lead agent. */
  leadAgentId: string | null;
}

/**
 * Admins name the lead agent of an organization (issue 16, seed 002: "Project communications will
 * almost always be handled by the lead agent on your project"); workflows route categories to them
 * with an assignment rule's LEAD_AGENT step. Errors: NOT_PERMITTED (not an admin), NOT_FOUND (no such
 * organization), INVALID_INPUT on `leadAgentId` (not an agent).
 */
export async function setOrganizationLeadAgent(
  ctx: UseCaseContext,
  input: SetLeadAgentInput,
): Promise<Organization> {
  if (!canManageWorkflows(ctx.actor)) throw new NotPermittedError('name lead agents');
  const org = await ctx.em.findOne(Organization, input.organizationId);
  if (!org) throw new NotFoundError('Organization', input.organizationId);
  if (input.leadAgentId) {
    const agent = await ctx.em.findOne(User, input.leadAgentId);
    if (!agent || agent.role !== Role.AGENT)
      throw InvalidInputError.field('leadAgentId', 'the lead agent must be an agent');
    org.leadAgent = agent;
  } else {
    org.leadAgent = undefined;
  }
  await ctx.em.flush();
  return org;
}
