import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { RelationKind } from '../shared/enums.js';
import { Ticket } from './ticket.entity.js';

/** `ticket` was opened as a follow-up or revision of `source`. */
@Entity({ tableName: 'ticket_relation' })
@Unique({ properties: ['source', 'ticket'] })
export class TicketRelation {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Ticket, { deleteRule: 'cascade', index: true })
  source!: Rel<Ticket>;

  @ManyToOne(() => Ticket, { deleteRule: 'cascade', index: true })
  ticket!: Rel<Ticket>;

  @Enum({ items: () => RelationKind, type: 'string', columnType: 'text' })
  kind!: RelationKind;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
