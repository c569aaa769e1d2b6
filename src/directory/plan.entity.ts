import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Priority } from '../shared/enums.js';

/** A commercial plan (Basic, Pro, Premium); its default priority applies to its organizations' tickets. */
@Entity({ tableName: 'plan' })
export class Plan {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Enum({ items: () => Priority, type: 'string', columnType: 'text' })
  defaultPriority: Priority = Priority.MEDIUM;
}
