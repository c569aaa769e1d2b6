import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { ALWAYS_OPEN, SEED_003_CALENDAR } from './calendar-presets.js';
import type { BusinessCalendarDefinition } from './calendar-definition.js';
import { SLA_POLICY_PRESETS } from './policy-presets.js';
import {
  BusinessCalendarEntity,
  BusinessCalendarVersion,
  SlaPolicy,
  SlaPolicyVersion,
} from './sla.entity.js';

export const SHIPPED_CALENDARS: { key: string; name: string; definition: BusinessCalendarDefinition }[] = [
  {
    key: 'business-hours',
    name: 'Business hours, 09:00–18:00 Monday to Friday',
    definition: SEED_003_CALENDAR,
  },
  { key: 'always-open', name: '24/7', definition: ALWAYS_OPEN },
];

/** Loads the shipped calendars and the SLA policies of seeds 000 and 003 (those missing). Idempotent. */
export async function loadSlaPresets(em: EntityManager, clock: Clock): Promise<void> {
  for (const c of SHIPPED_CALENDARS) {
    if (await em.findOne(BusinessCalendarEntity, { key: c.key })) continue;
    const calendar = em.create(BusinessCalendarEntity, {
      key: c.key,
      name: c.name,
      currentVersion: 1,
      createdAt: clock.now(),
    });
    em.create(BusinessCalendarVersion, {
      calendar,
      version: 1,
      definition: c.definition,
      createdAt: clock.now(),
    });
  }
  let position = 0;
  for (const p of SLA_POLICY_PRESETS) {
    position += 10;
    if (await em.findOne(SlaPolicy, { key: p.key })) continue;
    const policy = em.create(SlaPolicy, {
      key: p.key,
      name: p.name,
      position,
      active: true,
      currentVersion: 1,
      createdAt: clock.now(),
    });
    em.create(SlaPolicyVersion, { policy, version: 1, definition: p.definition, createdAt: clock.now() });
  }
  await em.flush();
}
