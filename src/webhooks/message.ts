import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { FeedEvent } from '../events/feed-event.js';
import { toGlobalId } from '../server/global-id.js';

/**
 * What a webhook carries, per the Standard Webhooks specification (standardwebhooks.com):
 * headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64
 * HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per active secret, space-separated), signed with
 * the `standardwebhooks` package.
 */

/** The body's shape version: bumped when a field changes meaning or goes away (adding one does not). */
export const PAYLOAD_VERSION = 1;

/** A signing secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks format). */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The message identity: one per (endpoint, event), the same on every retry, redelivery and replay,
 * so a receiver drops a duplicate by it.
 */
export const webhookIdOf = (endpointId: string, seq: number): string =>
  `msg_${endpointId.replaceAll('-', '').slice(0, 12)}_${seq}`;

/**
 * The body: the event as the API shows it (TicketEvent of the schema: seq, type, actorKind, payload,
 * occurredAt, the ticket's global id, the actor's global id), in the Standard Webhooks envelope
 * `{ type, timestamp, data }`, with `payloadVersion`.
 */
export function webhookBody(e: FeedEvent): string {
  return JSON.stringify({
    type: e.type,
    timestamp: e.occurredAt.toISOString(),
    payloadVersion: PAYLOAD_VERSION,
    data: {
      seq: e.seq,
      type: e.type,
      ticketId: toGlobalId('Ticket', e.ticketId),
      actorKind: e.actorKind,
      actorId: e.actorId ? toGlobalId('User', e.actorId) : null,
      payload: e.payload,
      occurredAt: e.occurredAt.toISOString(),
    },
  });
}

/** The three headers for `body`, signed with every secret given (during a rotation, old and new). */
export function signatureHeaders(
  id: string,
  at: Date,
  body: string,
  secrets: readonly string[],
): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(id, at, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
