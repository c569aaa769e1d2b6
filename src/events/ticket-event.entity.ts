import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import type { ActorKind } from '../workflow/definition.js';

/**
 * One entry of the ordered event log. `seq` is assigned at the end of the writing transaction while
 * it holds the event_sequence row lock, so sequence order equals commit order (see ./event-log.ts).
 * Rows are written with plain SQL by the event log; this entity is for reading them.
 */
@Entity({ tableName: 'ticket_event' })
@Index({ properties: ['ticketId', 'seq'] })
export class TicketEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: false })
  seq!: string;

  @Property({ type: 'uuid' })
  ticketId!: string;

  @Property({ type: 'string', length: 64 })
  type!: string;

  @Property({ type: 'string', length: 16 })
  actorKind!: ActorKind;

  @Property({ type: 'uuid', nullable: true })
  actorId?: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  /** Internal events (an internal note) are never shown to requesters. */
  @Property({ type: 'boolean' })
  internal: boolean = false;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  // The ticket's facts when the event was committed: what subscriptions filter and check rights on.
  @Property({ type: 'uuid', nullable: true })
  requesterId?: string;

  @Property({ type: 'uuid', nullable: true })
  organizationId?: string;

  @Property({ type: 'uuid', nullable: true })
  teamId?: string;

  @Property({ type: 'uuid', nullable: true })
  assigneeId?: string;

  @Property({ type: 'string', length: 32, nullable: true })
  statusCategory?: string;

  @Property({ type: 'string', length: 16, nullable: true })
  priority?: string;

  /** The partner the ticket belongs to (a fact, like the ones above). */
  @Property({ type: 'uuid', nullable: true })
  partnerId?: string;

  /** Written by an import of history (src/import): in the log and replays, never pushed live or notified. */
  @Property({ type: 'boolean' })
  imported: boolean = false;

  /** Audit: the API key a partner acted with. */
  @Property({ type: 'uuid', nullable: true })
  apiKeyId?: string;
}
