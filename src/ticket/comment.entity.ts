import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../directory/user.entity.js';
import type { ActorKind } from '../workflow/definition.js';
import { Ticket } from './ticket.entity.js';

/** A public reply or an internal note (never shown to requesters). */
@Entity({ tableName: 'comment' })
@Index({ properties: ['ticket', 'createdAt'] })
export class Comment {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Ticket, { deleteRule: 'cascade' })
  ticket!: Rel<Ticket>;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  author?: Rel<User>;

  @Enum({ type: 'string', columnType: 'text', items: ['REQUESTER', 'AGENT', 'ADMIN', 'PARTNER', 'SYSTEM'] })
  authorKind!: ActorKind;

  @Property({ type: 'text' })
  body!: string;

  @Property({ type: 'boolean' })
  internal: boolean = false;

  @Property({ type: 'timestamptz', length: 3 })
  createdAt: Date = new Date();
}
