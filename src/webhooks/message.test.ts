import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { TicketEventType } from '../events/event-types.js';
import { newSigningSecret, PAYLOAD_VERSION, signatureHeaders, webhookBody, webhookIdOf } from './message.js';

describe('webhook messages (Standard Webhooks)', () => {
  const event = {
    seq: 42,
    ticketId: '00000000-0000-4000-8000-0000000000c1',
    type: TicketEventType.STATUS_CHANGED,
    actorKind: 'AGENT' as const,
    actorId: '00000000-0000-4000-8000-000000000001',
    payload: { from: 'new', to: 'open' },
    internal: false,
    occurredAt: new Date('2026-11-30T12:00:00Z'),
  };

  it('signs so that standardwebhooks verifies with each active secret, and not with another', () => {
    const [a, b] = [newSigningSecret(), newSigningSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = webhookBody(event);
    const headers = signatureHeaders(webhookIdOf(event.ticketId, 42), new Date(), body, [a, b]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(a).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(b).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(a).verify(body.replace('open', 'closed'), headers)).toThrow();
  });

  it('carries the event as the API shows it: seq, type, global ids, payloadVersion', () => {
    expect(JSON.parse(webhookBody(event))).toEqual({
      type: 'STATUS_CHANGED',
      timestamp: '2026-11-30T12:00:00.000Z',
      payloadVersion: PAYLOAD_VERSION,
      data: {
        seq: 42,
        type: 'STATUS_CHANGED',
        ticketId: Buffer.from(`Ticket:${event.ticketId}`).toString('base64url'),
        actorKind: 'AGENT',
        actorId: Buffer.from(`User:${event.actorId}`).toString('base64url'),
        payload: { from: 'new', to: 'open' },
        occurredAt: '2026-11-30T12:00:00.000Z',
      },
    });
  });

  it('gives one identity per endpoint and event', () => {
    expect(webhookIdOf('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 7)).toBe('msg_aaaaaaaabbbb_7');
  });
});
