import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Organization } from '../directory/organization.entity.js';
import { Team } from '../directory/team.entity.js';
import { User } from '../directory/user.entity.js';
import { Channel, Priority } from '../shared/enums.js';
import type { StatusCategory } from '../workflow/definition.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';

@Entity({ tableName: 'ticket' })
@Index({ name: 'ticket_queue_idx', properties: ['priorityRank', 'createdAt', 'id'] })
@Index({ name: 'ticket_created_idx', properties: ['createdAt', 'id'] })
@Index({ name: 'ticket_updated_idx', properties: ['updatedAt', 'id'] })
export class Ticket {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Human reference (TCK-000042) from a database sequence; set by the database on insert. */
  @Property({ type: 'string', length: 32, unique: true, defaultRaw: 'docket_next_reference()' })
  reference!: string;

  @Property({ type: 'string', length: 200 })
  subject!: string;

  @Property({ type: 'text' })
  description!: string;

  @Enum({ items: () => Channel, type: 'string', columnType: 'text' })
  channel!: Channel;

  @Property({ type: 'string', length: 100 })
  category!: string;

  @Enum({ items: () => Priority, type: 'string', columnType: 'text' })
  priority!: Priority;

  /** Derived by the database from `priority` for queue ordering (CRITICAL = 0 … LOW = 3). */
  @Property({
    type: 'smallint',
    generated:
      "(case priority when 'CRITICAL' then 0 when 'HIGH' then 1 when 'MEDIUM' then 2 else 3 end) stored",
  })
  priorityRank?: number;

  @ManyToOne(() => WorkflowVersion)
  workflowVersion!: Rel<WorkflowVersion>;

  @Property({ type: 'string', length: 64 })
  @Index()
  status!: string;

  /** The status's category, kept beside it so queues and the SLA clock can filter by it with an index. */
  @Property({ type: 'string', length: 32 })
  @Index()
  statusCategory!: StatusCategory;

  @Property({ type: 'smallint' })
  tier: number = 1;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null', index: true })
  assignee?: Rel<User>;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'set null', index: true })
  team?: Rel<Team>;

  @ManyToOne(() => User, { index: true })
  requester!: Rel<User>;

  @ManyToOne(() => Organization, { nullable: true, deleteRule: 'set null', index: true })
  organization?: Rel<Organization>;

  @Property({ type: 'text[]' })
  tags: string[] = [];

  /** When an agent first replied in public (the first response). */
  @Property({ type: 'timestamptz', nullable: true })
  firstRespondedAt?: Date;

  /** When the ticket last entered a resolved or closed status (cleared by a reopen). */
  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt?: Date;

  /** Comment counts kept on the ticket (updated with each comment) so queues need no count query. */
  @Property({ type: 'integer' })
  commentsTotal: number = 0;

  @Property({ type: 'integer' })
  commentsPublic: number = 0;

  /** Participants (CCs): requesters who read, reply to and receive the ticket's public side, like its requester. */
  @Property({ type: 'string[]', columnType: 'uuid[]', default: '{}' })
  participantIds: string[] = [];

  /** Agents following the ticket: they receive its notifications (see src/notify). */
  @Property({ type: 'string[]', columnType: 'uuid[]', default: '{}' })
  followerIds: string[] = [];

  /** The partner platform the ticket belongs to (opened through its API key): it may read and comment on it. */
  @Property({ type: 'uuid', nullable: true, index: true })
  partnerId?: string;

  /**
   * Imported tickets (src/import): the id the ticket had in the help desk it came from, unique per
   * importer (staff share one namespace; each partner has its own).
   */
  @Property({ type: 'string', length: 200, nullable: true })
  externalId?: string;

  /** Imported tickets: a digest of the imported history, so importing it again is recognised. */
  @Property({ type: 'string', length: 64, nullable: true })
  importDigest?: string;

  @Property({ type: 'integer', version: true })
  version: number = 1;

  /** Millisecond precision, so keyset cursors round-trip exactly through JavaScript dates. */
  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', length: 3 })
  updatedAt: Date = new Date();
}
