import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, registerNodeType } from '../server/node.js';
import { UserError } from '../server/user-errors.js';
import { ApiKey, Partner } from './api-key.entity.js';

/** GraphQL names of the scopes (`tickets:read` → TICKETS_READ); the values are the scope strings. */
export const ApiKeyScope = {
  TICKETS_READ: 'tickets:read',
  TICKETS_WRITE: 'tickets:write',
  COMMENTS_WRITE: 'comments:write',
  EVENTS_SUBSCRIBE: 'events:subscribe',
  IMPORT: 'import',
} as const;
registerEnumType(ApiKeyScope, {
  name: 'ApiKeyScope',
  description: 'What a partner key may do',
  valuesConfig: {
    TICKETS_READ: { description: 'tickets:read: read the partner’s tickets (ticket, tickets, node)' },
    TICKETS_WRITE: {
      description: 'tickets:write: open tickets (createTicket), which then belong to the partner',
    },
    COMMENTS_WRITE: {
      description: 'comments:write: comment on the partner’s tickets (the workflow’s partner rule applies)',
    },
    EVENTS_SUBSCRIBE: {
      description: 'events:subscribe: ticketEvents and slaAlerts of the partner’s tickets',
    },
    IMPORT: {
      description:
        'import: import history from another help desk (importTicket, importTickets); the tickets then belong to the partner',
    },
  },
});

@ObjectType('Partner', { implements: Node, description: 'A partner platform integrating with API keys' })
export class PartnerType extends Node {
  @Field()
  name!: string;

  @Field()
  createdAt!: Date;
}
registerNodeType(Partner, 'Partner');

@ObjectType('ApiKey', {
  implements: Node,
  description: 'A partner’s API key (the secret is never shown again)',
})
export class ApiKeyType extends Node {
  @Field()
  name!: string;

  @Field({ description: 'The visible start of the key, e.g. dk_3f9a1c2b' })
  prefix!: string;

  @Field(() => [ApiKeyScope])
  scopes!: string[];

  @Field()
  createdAt!: Date;

  @Field({ nullable: true })
  expiresAt?: Date;

  @Field({ nullable: true, description: 'Updated at most once a minute' })
  lastUsedAt?: Date;

  @Field({ nullable: true, description: 'When it stopped (or, after a rotation with grace, stops) working' })
  revokedAt?: Date;
}
registerNodeType(ApiKey, 'ApiKey');

const ERRORS_DOC = 'Empty when the mutation succeeded; otherwise nothing was written';

@ObjectType('PartnerPayload')
export class PartnerPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => PartnerType, { nullable: true })
  partner?: PartnerType;
}

@ObjectType('ApiKeyPayload')
export class ApiKeyPayload {
  @Field(() => [UserError], { description: ERRORS_DOC })
  errors!: UserError[];

  @Field(() => ApiKeyType, { nullable: true })
  apiKey?: ApiKeyType;

  @Field(() => String, {
    nullable: true,
    description:
      'The whole key, shown this once (create and rotate): send it as "Authorization: Bearer <key>"',
  })
  key?: string;
}

@InputType()
export class CreatePartnerInput {
  @Field()
  name!: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => ID)
  partnerId!: string;

  @Field({ description: 'What it is for, e.g. "production"' })
  name!: string;

  @Field(() => [ApiKeyScope])
  scopes!: string[];

  @Field({ nullable: true })
  expiresAt?: Date;
}

@InputType()
export class RotateApiKeyInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds the old key keeps working, so the partner can deploy the new one (default 0)',
  })
  graceSeconds?: number;

  @Field({ nullable: true, description: 'Default: the old key’s expiry' })
  expiresAt?: Date;
}
