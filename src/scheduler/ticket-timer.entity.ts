import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * A workflow timer running on a ticket: started when the ticket entered `status`, next due at
 * `fireAt` (absolute, indexed). Entering another status replaces the ticket's timers.
 */
@Entity({ tableName: 'ticket_timer' })
@Unique({ properties: ['ticketId', 'timerIndex'] })
@Index({ name: 'ticket_timer_fire_idx', properties: ['fireAt'] })
export class TicketTimer {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  ticketId!: string;

  /** Position of the timer in the workflow version's `timers`. */
  @Property({ type: 'integer' })
  timerIndex!: number;

  @Property({ type: 'string', length: 64 })
  status!: string;

  @Property({ type: 'timestamptz', length: 3 })
  enteredAt!: Date;

  /** Null once the timer has done all it will do. */
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  fireAt?: Date;

  @Property({ type: 'integer' })
  firedCount: number = 0;
}
