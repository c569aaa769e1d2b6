import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AddCommentDocument, EscalateTicketDocument } from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * Each shipped preset walked through its seed document's lifecycle by GraphQL calls as the right
 * actors (the timed steps belong to the scheduler's tests). Demo organizations run one preset each:
 * Initech 000, Globex 001, Acme 002, Umbrella 003, Hooli 004.
 */
describe('workflow presets, end to end', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const AGENT = 'alice@docket.local';

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('000 managed service: Open → Ready → In progress → awaiting platform / client → Feedback → Resolved, reopen, revision, cancel', async () => {
    const t = await f.create('ivan@initech.example', { subject: 'List 40 products' });
    expect(t.status).toEqual({ key: 'open', name: 'Open', category: 'NEW' });
    expect(t.priority).toBe('HIGH'); // Premium plan
    await f.move(AGENT, t.id, 'ready');
    await f.move(AGENT, t.id, 'in_progress');
    await f.move(AGENT, t.id, 'awaiting_platform');
    expect((await f.get(AGENT, t.id))!.status.category).toBe('WAITING_ON_THIRD_PARTY');
    await f.move(AGENT, t.id, 'in_progress');
    await f.move(AGENT, t.id, 'awaiting_client');
    await f.comment('ivan@initech.example', { ticketId: t.id, body: 'Here are the product photos' });
    expect(await f.status(AGENT, t.id)).toBe('client_responded');
    await f.move(AGENT, t.id, 'in_progress');
    await f.move(AGENT, t.id, 'feedback_answered');
    await f.move(AGENT, t.id, 'resolved');
    await f.comment('ivan@initech.example', { ticketId: t.id, body: 'One listing is wrong' });
    expect(await f.status(AGENT, t.id)).toBe('client_responded'); // resolved can be reopened
    const revision = await f.create(AGENT, {
      subject: 'Revision: fix listing 12',
      requesterId: t.requester.id,
      relatedTo: { ticketId: t.id, kind: 'REVISION' },
    });
    const linked = await f.get(AGENT, revision.id);
    expect(linked!.relatedTickets).toEqual([
      { kind: 'REVISION', direction: 'OPENED_FROM', ticket: { id: t.id, reference: t.reference } },
    ]);
    const c = await f.create('ivan@initech.example', { subject: 'Never mind' });
    await f.move('ivan@initech.example', c.id, 'cancelled', 'No longer needed');
    expect((await f.get(AGENT, c.id))!.status).toEqual({
      key: 'cancelled',
      name: 'Cancelled',
      category: 'CLOSED',
    });
  });

  it('001 marketplace: New → To do next on intake, L1, escalation to L2, waiting on seller, partner/requester reply, Resolved, dispute, Closed is final', async () => {
    const t = await f.create('sofia@globex.example', {
      subject: 'Payment missing for my order',
      description: 'The buyer paid',
    });
    expect(t.status.key).toBe('to_do_next');
    const history = (await f.get(AGENT, t.id))!.transitions;
    expect(history).toEqual([
      {
        from: { key: 'new' },
        to: { key: 'to_do_next' },
        actorKind: 'SYSTEM',
        reason: 'Categorised and prioritised',
      },
    ]);
    await f.move(AGENT, t.id, 'l1_in_progress');
    const esc = await s.gql(
      EscalateTicketDocument,
      { input: { ticketId: t.id, reason: 'Needs the payments team' } },
      await f.token(AGENT),
    );
    expect(esc.data!.escalateTicket.errors).toEqual([]);
    expect(esc.data!.escalateTicket.ticket!.tier).toBe(2);
    expect(esc.data!.escalateTicket.ticket!.status.key).toBe('l2_in_progress');
    expect(esc.data!.escalateTicket.ticket!.assignee!.name).toBe('Carol Tier2');
    await f.move('carol@docket.local', t.id, 'waiting_on_seller');
    await f.comment('sofia@globex.example', { ticketId: t.id, body: 'Order id is 1182' });
    expect(await f.status(AGENT, t.id)).toBe('waiting_on_support');
    await f.move('carol@docket.local', t.id, 'resolved');
    await f.comment('sofia@globex.example', { ticketId: t.id, body: 'I do not agree' });
    expect(await f.status(AGENT, t.id)).toBe('waiting_on_support'); // disputed within 7 days
    await f.move('carol@docket.local', t.id, 'resolved');
    // Closed is the timers' to reach (7 days after Resolved); by hand only an admin, with a reason.
    expect((await f.get(AGENT, t.id))!.allowedTransitions.map((m) => m.to.key)).not.toContain('closed');
    const closed = await f.get('admin@docket.local', t.id);
    expect(closed!.allowedTransitions.map((m) => m.to.key)).toContain('closed');
    await f.move('admin@docket.local', t.id, 'closed', 'Confirmed by seller');
    expect((await f.get(AGENT, t.id))!.allowedTransitions).toEqual([]);
    const reply = await s.gql(
      AddCommentDocument,
      { input: { ticketId: t.id, body: 'Reopen please', internal: false } },
      await f.token('sofia@globex.example'),
    );
    expect(reply.errors).toBeUndefined();
    expect(reply.data!.addComment.errors).toMatchObject([{ code: 'TICKET_CLOSED' }]);
  });

  it('002 agency: Open/New → Pending → reply reopens → Solved → Closed; reply to Closed opens a follow-up; On-hold', async () => {
    const t = await f.create('rita@acme.example', { subject: 'Where can I find my invoices?' });
    expect(t.status).toEqual({ key: 'open_new', name: 'Open/New', category: 'NEW' });
    expect(t.category).toBe('question');
    await f.comment(AGENT, { ticketId: t.id, body: 'Which role should they have?', status: 'pending' });
    expect(await f.status(AGENT, t.id)).toBe('pending');
    await f.comment('rita@acme.example', { ticketId: t.id, body: 'Editor' });
    expect(await f.status(AGENT, t.id)).toBe('open_new');
    await f.move(AGENT, t.id, 'on_hold');
    await f.comment('rita@acme.example', { ticketId: t.id, body: 'Here are the photos' });
    expect(await f.status(AGENT, t.id)).toBe('open_new');
    await f.comment(AGENT, { ticketId: t.id, body: 'Added.', status: 'solved' });
    await f.move(AGENT, t.id, 'closed', 'Confirmed');
    const reply = await f.comment('rita@acme.example', { ticketId: t.id, body: 'One more thing' });
    expect(reply.createdFollowUp).toBe(true);
    expect(reply.ticket!.id).not.toBe(t.id);
    expect(reply.ticket!.status.key).toBe('open_new');
    expect(reply.ticket!.assignee!.id).toBe(t.assignee!.id); // stays with the familiar agent
    const original = await f.get(AGENT, t.id);
    expect(original!.status.key).toBe('closed');
    expect(original!.relatedTickets).toEqual([
      {
        kind: 'FOLLOW_UP',
        direction: 'OPENED_AS',
        ticket: { id: reply.ticket!.id, reference: reply.ticket!.reference },
      },
    ]);
  });

  it('003 SaaS: severity sets priority, tiers 1 → 2 → 3, resolve and reopen', async () => {
    const t = await f.create('uma@umbrella.example', {
      subject: 'Data loss in reports',
      priority: 'CRITICAL',
    });
    expect(t.priority).toBe('CRITICAL');
    await f.move(AGENT, t.id, 'in_progress');
    for (const tier of [2, 3]) {
      const esc = await s.gql(
        EscalateTicketDocument,
        { input: { ticketId: t.id, reason: `tier ${tier} needed` } },
        await f.token(AGENT),
      );
      expect(esc.data!.escalateTicket.errors).toEqual([]);
      expect(esc.data!.escalateTicket.ticket!.tier).toBe(tier);
    }
    expect((await f.get(AGENT, t.id))!.assignee!.name).toBe('Dave Tier3');
    const beyond = await s.gql(
      EscalateTicketDocument,
      { input: { ticketId: t.id, reason: 'more' } },
      await f.token(AGENT),
    );
    expect(beyond.data!.escalateTicket.errors).toMatchObject([{ code: 'INVALID_INPUT', field: 'toTier' }]);
    await f.move('dave@docket.local', t.id, 'awaiting_customer');
    await f.comment('uma@umbrella.example', { ticketId: t.id, body: 'Logs attached' });
    expect(await f.status(AGENT, t.id)).toBe('in_progress');
    await f.move('dave@docket.local', t.id, 'resolved');
    await f.comment('uma@umbrella.example', { ticketId: t.id, body: 'It happened again' });
    expect(await f.status(AGENT, t.id)).toBe('in_progress');
  });

  it('004 knowledge base: In queue → Processing → Awaiting your reply → Resolved → Closed, and a reply reopens even a Closed ticket', async () => {
    const t = await f.create('hana@hooli.example', { subject: 'Certificate missing' });
    expect(t.status).toEqual({ key: 'in_queue', name: 'In queue', category: 'NEW' });
    await f.move(AGENT, t.id, 'processing');
    await f.move(AGENT, t.id, 'awaiting_your_reply');
    await f.comment('hana@hooli.example', { ticketId: t.id, body: 'Course 12' });
    expect(await f.status(AGENT, t.id)).toBe('reopened');
    await f.move(AGENT, t.id, 'processing');
    await f.move(AGENT, t.id, 'resolved');
    await f.move(AGENT, t.id, 'closed', 'No reply within 48 h');
    await f.comment('hana@hooli.example', { ticketId: t.id, body: 'Still missing!' });
    const reopened = await f.get(AGENT, t.id);
    expect(reopened!.status).toEqual({ key: 'reopened', name: 'Reopened', category: 'OPEN' });
    expect(reopened!.transitions.at(-1)).toMatchObject({
      from: { key: 'closed' },
      to: { key: 'reopened' },
      actorKind: 'REQUESTER',
    });
  });
});
