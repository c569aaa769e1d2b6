import { Entity, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Plan } from './plan.entity.js';
import { User } from './user.entity.js';

/** The requester's organization (account), on a plan, optionally with its own workflow. */
@Entity({ tableName: 'organization' })
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 200, unique: true })
  name!: string;

  @ManyToOne(() => Plan, { nullable: true, deleteRule: 'set null' })
  plan?: Rel<Plan>;

  /** The workflow new tickets of this organization start on; the default workflow when unset. */
  @Property({ type: 'string', length: 64, nullable: true })
  workflowKey?: string;

  /**
   * The agent who leads this organization's projects (seed 002): the LEAD_AGENT step of a workflow's
   * assignment rules picks them first, when they are available and serve the ticket's tier.
   */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', fieldName: 'lead_agent_id' })
  leadAgent?: Rel<User>;

  /**
   * The email domains of this organization (lower case, e.g. `acme.example`): a sender from one of them
   * who writes to the help desk for the first time becomes a requester of it (issue 15, docs/INBOUND.md).
   */
  @Property({ type: 'string[]', columnType: 'text[]', default: '{}' })
  emailDomains: string[] = [];
}
