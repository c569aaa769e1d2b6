import {
  Collection,
  Entity,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  Unique,
  type Rel,
} from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { WorkflowDefinition } from './definition.js';

/** A named workflow. Its definition lives in immutable versions; tickets keep the version they started on. */
@Entity({ tableName: 'workflow' })
export class Workflow {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 64, unique: true })
  key!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'text' })
  description: string = '';

  /** The workflow a ticket starts on when neither the request nor the organization names one. */
  @Property({ type: 'boolean' })
  isDefault: boolean = false;

  @Property({ type: 'integer' })
  currentVersion: number = 1;

  @OneToMany(() => WorkflowVersion, (v) => v.workflow)
  versions = new Collection<WorkflowVersion>(this);

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'workflow_version' })
@Unique({ properties: ['workflow', 'version'] })
export class WorkflowVersion {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Workflow, { deleteRule: 'cascade' })
  workflow!: Rel<Workflow>;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'json' })
  definition!: WorkflowDefinition;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
