import {
  Collection,
  Entity,
  Enum,
  ManyToMany,
  ManyToOne,
  PrimaryKey,
  Property,
  type Rel,
} from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Role } from '../shared/enums.js';
import { Organization } from './organization.entity.js';
import { Team } from './team.entity.js';

/** A person: a requester of an organization, an agent in a tier and teams, or an admin. */
@Entity({ tableName: 'app_user' })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 320, unique: true })
  email!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Enum({ items: () => Role, type: 'string', columnType: 'text' })
  role: Role = Role.REQUESTER;

  /** Agents only: support tier 1 (frontline) to 3 (specialists). */
  @Property({ type: 'smallint', nullable: true })
  tier?: number;

  /** Agents only: whether automatic assignment may pick this agent. */
  @Property({ type: 'boolean' })
  available: boolean = true;

  @ManyToOne(() => Organization, { nullable: true, deleteRule: 'set null' })
  organization?: Rel<Organization>;

  @ManyToMany(() => Team, undefined, {
    pivotTable: 'team_member',
    joinColumn: 'user_id',
    inverseJoinColumn: 'team_id',
  })
  teams = new Collection<Team>(this);

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
