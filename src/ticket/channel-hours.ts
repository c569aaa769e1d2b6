import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import { isStaff } from '../access/policy.js';
import { ChannelClosedError } from '../shared/errors.js';
import { createCalendar } from '../sla/business-calendar.js';
import { calendarDefinition, currentCalendarVersion } from '../sla/sla-service.js';
import type { ChannelHours, WorkflowDefinition } from '../workflow/definition.js';

/** The channel-hours rule of a workflow for `channel`, if any (pure). */
export function channelHoursFor(def: WorkflowDefinition, channel: string): ChannelHours | undefined {
  return def.channelHours?.find((h) => h.channels.includes(channel));
}

/**
 * Whether a new ticket may come through its channel now (issue 16, seed 003: live chat "Available
 * during business hours"; "Support is available 24/7 for critical issues"). Staff open tickets on any
 * channel at any hour (they log calls and mails); a requester's or a partner's ticket on a channel with
 * hours, outside its calendar's business time and not of an exempt priority, is refused with
 * ChannelClosedError (REFUSE) or accepted and queued (QUEUE: returns `queuedUntil`, when the channel
 * opens). Returns {} when the channel is open.
 */
export async function checkChannelHours(
  em: EntityManager,
  def: WorkflowDefinition,
  ticket: { channel: string; priority: string },
  actor: Actor,
  now: Date,
): Promise<{ queuedUntil?: Date }> {
  if (isStaff(actor)) return {};
  const hours = channelHoursFor(def, ticket.channel);
  if (!hours || hours.exemptPriorities?.includes(ticket.priority)) return {};
  const version = await currentCalendarVersion(em, hours.calendarKey);
  if (!version) return {}; // checked when the workflow was saved; a calendar is never deleted
  const calendar = createCalendar(await calendarDefinition(em, version.id));
  if (calendar.isBusinessTime(now.getTime())) return {};
  const next = calendar.nextBusinessInstant(now.getTime());
  const opensAt = Number.isFinite(next) ? new Date(next) : undefined;
  if (hours.outsideHours === 'REFUSE') throw new ChannelClosedError(ticket.channel, opensAt);
  return { queuedUntil: opensAt };
}
