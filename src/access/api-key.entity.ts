import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A partner platform (a marketplace, a supported platform) that integrates with API keys. */
@Entity({ tableName: 'partner' })
export class Partner {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/**
 * One API key of a partner. The secret is never stored: only its SHA-256 (the secret is 256 random
 * bits, so a slow hash adds nothing) and a visible prefix that finds the row.
 */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  @Index()
  partnerId!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  /** Shown in lists and logs, e.g. `dk_3f9a1c2b`: the part of the key before the secret. */
  @Property({ type: 'string', length: 32, unique: true })
  prefix!: string;

  @Property({ type: 'string', length: 64, hidden: true })
  secretHash!: string;

  @Property({ type: 'text[]' })
  scopes!: string[];

  @Property({ type: 'uuid', nullable: true })
  createdById?: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date;

  /** Set when the key was rotated: the key that replaced it. */
  @Property({ type: 'uuid', nullable: true })
  replacedById?: string;
}
