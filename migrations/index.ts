import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000Initial } from './Migration20261122000000Initial.js';
import { Migration20261122010000CommentCounts } from './Migration20261122010000CommentCounts.js';
import { Migration20261122020000Sla } from './Migration20261122020000Sla.js';
import { Migration20261122030000Timers } from './Migration20261122030000Timers.js';
import { Migration20261122040000Realtime } from './Migration20261122040000Realtime.js';
import { Migration20261122050000Access } from './Migration20261122050000Access.js';
import { Migration20261122060000Idempotency } from './Migration20261122060000Idempotency.js';
import { Migration20261122070000RateLimit } from './Migration20261122070000RateLimit.js';
import { Migration20261130090000Resilience } from './Migration20261130090000Resilience.js';
import { Migration20261130110000LeadAgent } from './Migration20261130110000LeadAgent.js';
import { Migration20261130130000Outbox } from './Migration20261130130000Outbox.js';
import { Migration20261130131000Notifications } from './Migration20261130131000Notifications.js';
import { Migration20261130132000Participants } from './Migration20261130132000Participants.js';
import { Migration20261130140000SchedulerHorizon } from './Migration20261130140000SchedulerHorizon.js';
import { Migration20261130150000Import } from './Migration20261130150000Import.js';
import { Migration20261130160000CredentialChanges } from './Migration20261130160000CredentialChanges.js';
import { Migration20261130150000Inbound } from './Migration20261130150000Inbound.js';
import { Migration20261130160000AttachmentUploads } from './Migration20261130160000AttachmentUploads.js';

/**
 * Every migration, in order. New ones are created with `npm run migration:create` and added here, so
 * they load the same way from TypeScript (tests) and from the compiled dist/.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122000000Initial', class: Migration20261122000000Initial },
  { name: 'Migration20261122010000CommentCounts', class: Migration20261122010000CommentCounts },
  { name: 'Migration20261122020000Sla', class: Migration20261122020000Sla },
  { name: 'Migration20261122030000Timers', class: Migration20261122030000Timers },
  { name: 'Migration20261122040000Realtime', class: Migration20261122040000Realtime },
  { name: 'Migration20261122050000Access', class: Migration20261122050000Access },
  { name: 'Migration20261122060000Idempotency', class: Migration20261122060000Idempotency },
  { name: 'Migration20261122070000RateLimit', class: Migration20261122070000RateLimit },
  { name: 'Migration20261130090000Resilience', class: Migration20261130090000Resilience },
  { name: 'Migration20261130110000LeadAgent', class: Migration20261130110000LeadAgent },
  { name: 'Migration20261130130000Outbox', class: Migration20261130130000Outbox },
  { name: 'Migration20261130131000Notifications', class: Migration20261130131000Notifications },
  { name: 'Migration20261130132000Participants', class: Migration20261130132000Participants },
  { name: 'Migration20261130140000SchedulerHorizon', class: Migration20261130140000SchedulerHorizon },
  { name: 'Migration20261130150000Import', class: Migration20261130150000Import },
  { name: 'Migration20261130160000CredentialChanges', class: Migration20261130160000CredentialChanges },
  { name: 'Migration20261130150000Inbound', class: Migration20261130150000Inbound },
  { name: 'Migration20261130160000AttachmentUploads', class: Migration20261130160000AttachmentUploads },
];
