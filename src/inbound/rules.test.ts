import { describe, expect, it } from '@jest/globals';
import {
  docketThread,
  isSupportAddress,
  loopReason,
  referenceInAddresses,
  referenceInSubject,
  stripReply,
  ticketSubject,
} from './rules.js';

const headers = (h: Record<string, string>) => new Map(Object.entries(h));
const OWN = ['support@desk.test'];

describe('loopReason', () => {
  it('names machines’ mail and Docket’s own', () => {
    const base = { subject: 'Hello', from: 'rita@acme.example' };
    expect(loopReason({ ...base, headers: headers({}) }, OWN)).toBeUndefined();
    expect(loopReason({ ...base, headers: headers({ 'auto-submitted': 'no' }) }, OWN)).toBeUndefined();
    expect(loopReason({ ...base, headers: headers({ 'auto-submitted': 'auto-replied' }) }, OWN)).toBe(
      'AUTO_REPLY',
    );
    expect(loopReason({ ...base, headers: headers({ 'x-autoreply': 'yes' }) }, OWN)).toBe('AUTO_REPLY');
    expect(loopReason({ ...base, subject: 'Automatic reply: Hello', headers: headers({}) }, OWN)).toBe(
      'AUTO_REPLY',
    );
    expect(loopReason({ ...base, subject: 'Out of Office', headers: headers({}) }, OWN)).toBe('AUTO_REPLY');
    for (const p of ['bulk', 'junk', 'list', 'Bulk'])
      expect(loopReason({ ...base, headers: headers({ precedence: p }) }, OWN)).toBe('BULK');
    expect(loopReason({ ...base, headers: headers({ precedence: 'first-class' }) }, OWN)).toBeUndefined();
    expect(
      loopReason(
        { ...base, headers: headers({}), contentType: 'multipart/report; report-type=delivery-status' },
        OWN,
      ),
    ).toBe('BOUNCE');
    expect(loopReason({ ...base, from: 'MAILER-DAEMON@mx.example', headers: headers({}) }, OWN)).toBe(
      'BOUNCE',
    );
    expect(loopReason({ ...base, envelopeFrom: '', headers: headers({}) }, OWN)).toBe('BOUNCE');
    expect(loopReason({ ...base, from: 'support@desk.test', headers: headers({}) }, OWN)).toBe('OWN_ADDRESS');
    expect(loopReason({ ...base, headers: headers({ 'x-docket-ticket': 'TCK-000001' }) }, OWN)).toBe(
      'OWN_ADDRESS',
    );
  });
});

describe('threading', () => {
  it('reads Docket’s Message-IDs of its own domain only', () => {
    const id = '0b6f3d2e-1c2a-4b7e-9f00-123456789abc';
    expect(
      docketThread(
        [`<ticket.${id}@desk.test>`, '<tck-000042.17.0123456789ab@desk.test>', `<ticket.${id}@other.test>`],
        'desk.test',
      ),
    ).toEqual({ ticketIds: [id], references: ['TCK-000042'] });
  });
  it('finds a reference in a subject and in plus-addresses of support addresses only', () => {
    expect(referenceInSubject('Re: [tck-000123] Printer')).toBe('TCK-000123');
    expect(referenceInSubject('TCK-000123 without brackets')).toBeUndefined();
    expect(referenceInAddresses(['support+tck-000007@desk.test'], OWN)).toBe('TCK-000007');
    expect(referenceInAddresses(['other+tck-000007@desk.test'], OWN)).toBeUndefined();
    expect(isSupportAddress('Support+anything@desk.test', OWN)).toBe(true);
    expect(isSupportAddress('support@elsewhere.test', OWN)).toBe(false);
  });
});

describe('stripReply and ticketSubject', () => {
  it('keeps the new text of Gmail and Outlook replies', () => {
    expect(
      stripReply('Yes.\n\nOn Mon, Nov 30, 2026 at 9:12 AM Desk <support@desk.test> wrote:\n> Question?\n'),
    ).toBe('Yes.');
    expect(
      stripReply('No.\r\n\r\n-----Original Message-----\r\nFrom: Desk\r\nSent: Monday\r\n\r\nQuestion?'),
    ).toBe('No.');
    expect(
      stripReply('Fine.\n\n________________________________\nFrom: Desk <support@desk.test>\nSent: Monday\n'),
    ).toBe('Fine.');
    expect(stripReply('Thanks\n\n-- \nRita\nAcme')).toBe('Thanks');
  });
  it('cleans subjects', () => {
    expect(ticketSubject('Re: Fwd: [TCK-000001] Printer\r\n jams', 200)).toBe('Printer jams');
    expect(ticketSubject('   ', 200)).toBe('(no subject)');
    expect(ticketSubject('x'.repeat(300), 200)).toHaveLength(200);
  });
});
