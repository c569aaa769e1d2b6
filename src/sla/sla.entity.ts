import {
  BigIntType,
  Entity,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Unique,
  type Rel,
} from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { BusinessCalendarDefinition } from './calendar-definition.js';
import type { SlaPolicyDefinition } from './policy-definition.js';

/** A named business calendar; its definitions are immutable versions, like workflows. */
@Entity({ tableName: 'business_calendar' })
export class BusinessCalendarEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 64, unique: true })
  key!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'integer' })
  currentVersion: number = 1;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

@Entity({ tableName: 'business_calendar_version' })
@Unique({ properties: ['calendar', 'version'] })
export class BusinessCalendarVersion {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => BusinessCalendarEntity, { deleteRule: 'cascade' })
  calendar!: Rel<BusinessCalendarEntity>;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'json' })
  definition!: BusinessCalendarDefinition;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** An SLA policy. Policies are tried in `position` order; the first whose conditions match wins. */
@Entity({ tableName: 'sla_policy' })
export class SlaPolicy {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 64, unique: true })
  key!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'integer' })
  position: number = 0;

  @Property({ type: 'boolean' })
  active: boolean = true;

  @Property({ type: 'integer' })
  currentVersion: number = 1;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

@Entity({ tableName: 'sla_policy_version' })
@Unique({ properties: ['policy', 'version'] })
export class SlaPolicyVersion {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => SlaPolicy, { deleteRule: 'cascade' })
  policy!: Rel<SlaPolicy>;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'json' })
  definition!: SlaPolicyDefinition;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** Which policy version and calendar version a ticket's clock runs on. */
@Entity({ tableName: 'ticket_sla' })
export class TicketSla {
  @PrimaryKey({ type: 'uuid' })
  ticketId!: string;

  @ManyToOne(() => SlaPolicyVersion)
  policyVersion!: Rel<SlaPolicyVersion>;

  @ManyToOne(() => BusinessCalendarVersion)
  calendarVersion!: Rel<BusinessCalendarVersion>;

  @Property({ type: 'timestamptz' })
  assignedAt!: Date;
}

/**
 * One target's state on one ticket, recomputed in the transaction of every change. Absolute instants
 * (due at, next warning at) are indexed so "what is due before T" is a range scan.
 */
@Entity({ tableName: 'ticket_sla_target' })
@Unique({ properties: ['ticketId', 'kind'] })
@Index({ name: 'ticket_sla_target_due_idx', properties: ['dueAt'] })
@Index({ name: 'ticket_sla_target_warning_idx', properties: ['nextWarningAt'] })
@Index({ name: 'ticket_sla_target_state_kind_idx', properties: ['state', 'kind'] })
export class TicketSlaTarget {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  ticketId!: string;

  @Property({ type: 'string', length: 32 })
  kind!: string;

  @Property({ type: 'string', length: 16 })
  state!: string;

  @Property({ type: 'string', length: 16 })
  clock!: string;

  @Property({ type: new BigIntType('number') })
  targetMs!: number;

  @Property({ type: 'boolean' })
  outsideHours: boolean = false;

  @Property({ type: 'integer' })
  cycle: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  startedAt?: Date;

  @Property({ type: 'timestamptz', nullable: true })
  dueAt?: Date;

  @Property({ type: new BigIntType('number') })
  elapsedMs: number = 0;

  @Property({ type: new BigIntType('number') })
  remainingMs: number = 0;

  @Property({ type: new BigIntType('number') })
  pausedMs: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  achievedAt?: Date;

  @Property({ type: 'timestamptz', nullable: true })
  breachedAt?: Date;

  @Property({ type: 'timestamptz', nullable: true })
  nextWarningAt?: Date;

  @Property({ type: 'integer' })
  breaches: number = 0;

  /** The highest warning threshold (percent) recorded in the current cycle. */
  @Property({ type: 'integer' })
  warnedPercent: number = 0;

  @Property({ type: 'timestamptz' })
  computedAt!: Date;
}
