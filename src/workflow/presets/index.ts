import type { WorkflowPreset } from '../definition.js';
import { managedServicePreset } from './seed-000-managed-service.js';
import { marketplacePreset } from './seed-001-marketplace.js';
import { agencyPreset } from './seed-002-agency.js';
import { saasPreset } from './seed-003-saas.js';
import { knowledgeBasePreset } from './seed-004-knowledge-base.js';

export { managedServicePreset, marketplacePreset, agencyPreset, saasPreset, knowledgeBasePreset };

/** The five shipped workflow presets, in seed order (000 to 004). */
export const PRESETS: WorkflowPreset[] = [
  managedServicePreset,
  marketplacePreset,
  agencyPreset,
  saasPreset,
  knowledgeBasePreset,
];
