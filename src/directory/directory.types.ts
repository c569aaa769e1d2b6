import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../server/user-errors.js';
import { Priority, Role } from '../shared/enums.js';
import { Node } from '../server/node.js';

/** GraphQL shapes of the directory. Resolvers receive the entities as their root values. */
@ObjectType('Plan', { implements: Node })
export class PlanType extends Node {
  @Field()
  name!: string;

  @Field(() => Priority)
  defaultPriority!: Priority;
}

@ObjectType('Organization', { implements: Node })
export class OrganizationType extends Node {
  @Field()
  name!: string;

  @Field(() => PlanType, { nullable: true })
  plan?: PlanType;

  @Field(() => String, { nullable: true })
  workflowKey?: string;
}

@ObjectType('Team', { implements: Node })
export class TeamType extends Node {
  @Field()
  key!: string;

  @Field()
  name!: string;
}

@ObjectType('User', { implements: Node })
export class UserType extends Node {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true, description: 'Shown to staff and to the user themselves' })
  email?: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => Int, { nullable: true, description: 'Agents: support tier 1–3' })
  tier?: number;

  @Field({ description: 'Agents: whether automatic assignment may pick them' })
  available!: boolean;

  @Field(() => OrganizationType, { nullable: true })
  organization?: OrganizationType;

  @Field(() => [TeamType])
  teams!: TeamType[];
}

@InputType()
export class SetOrganizationLeadAgentInput {
  @Field(() => ID)
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'An agent; null clears it' })
  leadAgentId?: string | null;
}

@ObjectType()
export class OrganizationPayload {
  @Field(() => OrganizationType, { nullable: true })
  organization?: OrganizationType | null;

  @Field(() => [UserError])
  errors!: UserError[];
}
