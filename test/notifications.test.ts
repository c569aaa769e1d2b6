import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PRESETS } from '../src/workflow/presets/index.js';
import { CreateWorkflowDocument, ViewerDocument, type WorkflowDefinitionInput } from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { startSmtpSink, type SmtpSink } from './support/smtp.js';

/**
 * Notifications end to end on the real scheduler: each preset's messages reach a real SMTP server in
 * this process, parsed with mailparser (recipients, subject with the reference, threading headers,
 * text and HTML, Auto-Submitted), and internal notes never reach a customer.
 */
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('notifications', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let smtp: SmtpSink;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({
      scheduler: 'process',
      notifications: true,
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme Support <support@desk.test>' },
    });
    f = flows(s);
    for (const p of ['agency', 'marketplace', 'knowledge-base', 'saas', 'managed-service'])
      await f.fastWorkflow(p);
    for (const email of [
      'rita@acme.example',
      'sofia@globex.example',
      'hana@hooli.example',
      'uma@umbrella.example',
    ])
      ids[email] = (await s.gql(ViewerDocument, {}, await f.token(email))).data!.viewer!.id;
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  it('002: received, the agent’s questions on Pending (one mail), two reminders, solved; internal notes never', async () => {
    const t = await f.create(AGENT, {
      requesterId: ids['rita@acme.example'],
      workflowKey: 'agency-fast',
      subject: 'Contact form',
      description: 'Please add a contact form',
    });
    const ref = t.reference;
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(ref)), 10_000, 'the acknowledgement');
    await f.comment(AGENT, { ticketId: t.id, body: 'SECRET-NOTE do not tell', internal: true });
    await f.comment(AGENT, { ticketId: t.id, body: 'Which page should it go on?', status: 'pending' });
    await smtp.waitFor((m) => m.filter((x) => x.subject.includes(ref)).length >= 4, 10_000, 'reminders');
    const mails = smtp.to('rita@acme.example').filter((m) => m.subject.includes(ref));
    expect(mails.map((m) => m.subject)).toEqual([
      `[${ref}] We received your request: Contact form`,
      `[${ref}] We need more information: Contact form`,
      `[${ref}] Reminder: we are waiting for your reply (Contact form)`,
      `[${ref}] Reminder: we are waiting for your reply (Contact form)`,
    ]);
    const questions = mails[1]!;
    expect(questions.parsed.text).toContain('Which page should it go on?');
    expect(questions.parsed.html).toContain('Which page should it go on?');
    for (const m of mails) {
      expect(m.raw).not.toContain('SECRET-NOTE');
      expect(m.parsed.inReplyTo).toBe(`<ticket.${uuidOf(t.id)}@desk.test>`);
      expect(m.parsed.references).toEqual(`<ticket.${uuidOf(t.id)}@desk.test>`);
      expect(m.parsed.replyTo!.value[0]!.address).toBe(`support+${ref.toLowerCase()}@desk.test`);
      expect(m.parsed.from!.value[0]).toEqual({ name: 'Acme Support', address: 'support@desk.test' });
      expect(m.parsed.headers.get('auto-submitted')).toBe('auto-generated');
      expect(m.messageId).toMatch(new RegExp(`^<${ref.toLowerCase()}\\.\\d+\\.[0-9a-f]{12}@desk\\.test>$`));
    }
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(4);
    // The close at 7 days (1.4 s here) sends nothing.
    const before = smtp.mails.length;
    await sleep(1500);
    expect(await f.status(AGENT, t.id)).toBe('closed');
    expect(smtp.mails.length).toBe(before);
  }, 60_000);
});

describe('notifications: presets, surveys, participants, templates, delivery', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let smtp: SmtpSink;
  const ids: Record<string, string> = {};
  const admin = () => f.token('admin@docket.local');

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({
      scheduler: 'process',
      notifications: true,
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Acme Support <support@desk.test>',
        PUBLIC_URL: 'http://127.0.0.1:1',
        NOTIFY_MAX_ATTEMPTS: '4',
      },
    });
    f = flows(s);
    for (const p of ['marketplace', 'knowledge-base', 'saas']) await f.fastWorkflow(p);
    for (const email of [
      'rita@acme.example',
      'sam@acme.example',
      'sofia@globex.example',
      'hana@hooli.example',
      'uma@umbrella.example',
    ])
      ids[email] = (await s.gql(ViewerDocument, {}, await f.token(email))).data!.viewer!.id;
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  const subjects = (ref: string) => smtp.mails.filter((m) => m.subject.includes(ref)).map((m) => m.subject);

  it('001: acknowledgement with reference, subject and description; three reminders; the closed notice; the resolution', async () => {
    const t = await f.create(AGENT, {
      requesterId: ids['sofia@globex.example'],
      workflowKey: 'marketplace-fast',
      subject: 'Booking voucher missing',
      description: 'The voucher for booking 42 <b>never</b> arrived',
    });
    const ref = t.reference;
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(ref)));
    const ack = smtp.to('sofia@globex.example').find((m) => m.subject.includes(ref))!;
    expect(ack.parsed.text).toContain(ref);
    expect(ack.parsed.text).toContain('Booking voucher missing');
    expect(ack.parsed.text).toContain('The voucher for booking 42 <b>never</b> arrived');
    // User content is escaped in HTML.
    expect(ack.parsed.html).toContain('&lt;b&gt;never&lt;/b&gt;');
    expect(ack.parsed.html).not.toContain('<b>never</b>');
    await f.move(AGENT, t.id, 'l1_in_progress');
    await f.move(AGENT, t.id, 'waiting_on_seller');
    await smtp.waitFor(
      (m) => m.filter((x) => x.subject.includes(ref)).length >= 5,
      15_000,
      'reminders and the notice',
    );
    expect(subjects(ref)).toEqual([
      `[${ref}] We received your request: Booking voucher missing`,
      `[${ref}] Reminder: we are waiting for your reply (Booking voucher missing)`,
      `[${ref}] Reminder: we are waiting for your reply (Booking voucher missing)`,
      `[${ref}] Reminder: we are waiting for your reply (Booking voucher missing)`,
      `[${ref}] Your ticket is now closed: Booking voucher missing`,
    ]);
    const resolved = await f.create(AGENT, {
      requesterId: ids['sofia@globex.example'],
      workflowKey: 'marketplace-fast',
      subject: 'Invoice',
    });
    await f.move(AGENT, resolved.id, 'l1_in_progress');
    await f.comment(AGENT, { ticketId: resolved.id, body: 'We refunded the fee.', status: 'resolved' });
    await smtp.waitFor((m) => m.filter((x) => x.subject.includes(resolved.reference)).length >= 2);
    const mail = smtp.mails.find((m) => m.subject === `[${resolved.reference}] Resolved: Invoice`)!;
    expect(mail.parsed.text).toContain('We refunded the fee.');
    // The quiet close 7 days after Resolved sends nothing.
    await new Promise((r) => setTimeout(r, 1800));
    expect(await f.status(AGENT, resolved.id)).toBe('closed');
    expect(subjects(resolved.reference)).toHaveLength(2);
    // Staff read each message's delivery.
    const res = await s.gql<
      {
        ticket: {
          notifications: {
            template: string;
            status: string;
            attempts: number;
            messageId: string;
            lastResponse: string;
          }[];
        };
      },
      unknown
    >(
      `query($id: ID!) { ticket(id: $id) { notifications { template status attempts messageId lastResponse recipient } } }`,
      { id: t.id },
      await f.token(AGENT),
    );
    expect(res.data!.ticket.notifications.map((n) => [n.template, n.status, n.attempts])).toEqual([
      ['ticket-received', 'SENT', 1],
      ['reminder', 'SENT', 1],
      ['reminder', 'SENT', 1],
      ['reminder', 'SENT', 1],
      ['closed-no-response', 'SENT', 1],
    ]);
    expect(res.data!.ticket.notifications[0]!.lastResponse).toContain('Queued as test');
    const asRequester = await s.gql<{ ticket: { notifications: unknown } }, unknown>(
      `query($id: ID!) { ticket(id: $id) { notifications { id } } }`,
      { id: t.id },
      await f.token('sofia@globex.example'),
    );
    expect(asRequester.data!.ticket.notifications).toBeNull();
  }, 40_000);

  it('004: the survey on Resolved; a one-click link records the rating, the page takes a comment, the portal changes it until the survey closes', async () => {
    // The knowledge-base preset, its Resolved → Closed timer at 6 s (the survey closes with the ticket).
    const kb = PRESETS.find((p) => p.key === 'knowledge-base')!.definition;
    const created = await s.gql(
      CreateWorkflowDocument,
      {
        input: {
          key: 'kb-survey',
          name: 'KB survey',
          isDefault: false,
          definition: {
            ...kb,
            timers: kb.timers.map((x) => (x.status === 'resolved' ? { ...x, after: 'PT6S' } : x)),
          } as WorkflowDefinitionInput,
        },
      },
      await admin(),
    );
    expect(created.data!.createWorkflow.errors).toEqual([]);
    const t = await f.create(AGENT, {
      requesterId: ids['hana@hooli.example'],
      workflowKey: 'kb-survey',
      subject: 'Locked out',
    });
    await f.move(AGENT, t.id, 'processing');
    await f.move(AGENT, t.id, 'resolved');
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(`${t.reference}] How did we do?`)));
    const survey = smtp.mails.find((x) => x.subject.includes(`${t.reference}] How did we do?`))!;
    const links = [...survey.parsed.text!.matchAll(/http:\/\/127\.0\.0\.1:1(\/satisfaction\/\S+)/g)].map(
      (m) => m[1]!,
    );
    expect(links).toHaveLength(2);
    const base = s.url.replace('/graphql', '');
    const good = links.find((l) => l.includes('/good?'))!;
    const bad = links.find((l) => l.includes('/bad?'))!;
    const page = await fetch(base + good);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('Your rating: <strong>good</strong>');
    // A tampered link is refused.
    expect((await fetch(base + good.replace('/good?', '/bad?'))).status).toBe(404);
    const posted = await fetch(base + bad, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'comment=' + encodeURIComponent('Slow <script>alert(1)</script>'),
    });
    const html = await posted.text();
    expect(html).toContain('Your rating: <strong>bad</strong>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    const rate = await s.gql<
      {
        rateTicket: {
          errors: { code: string }[];
          satisfaction: { rating: string; comment: string; open: boolean };
        };
      },
      unknown
    >(
      `mutation($id: ID!) { rateTicket(input: { ticketId: $id, rating: "good" }) { errors { code } satisfaction { rating comment open } } }`,
      { id: t.id },
      await f.token('hana@hooli.example'),
    );
    expect(rate.data!.rateTicket).toEqual({
      errors: [],
      satisfaction: { rating: 'good', comment: 'Slow <script>alert(1)</script>', open: true },
    });
    const invalid = await s.gql<{ rateTicket: { errors: { code: string; field: string }[] } }, unknown>(
      `mutation($id: ID!) { rateTicket(input: { ticketId: $id, rating: "7" }) { errors { code field } } }`,
      { id: t.id },
      await f.token('hana@hooli.example'),
    );
    expect(invalid.data!.rateTicket.errors).toEqual([{ code: 'INVALID_INPUT', field: 'rating' }]);
    // Resolved closes after 6 s here: so does the survey.
    const until = Date.now() + 15_000;
    while ((await f.status(AGENT, t.id)) !== 'closed' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    const late = await s.gql<{ rateTicket: { errors: { code: string }[] } }, unknown>(
      `mutation($id: ID!) { rateTicket(input: { ticketId: $id, rating: "bad" }) { errors { code } } }`,
      { id: t.id },
      await f.token('hana@hooli.example'),
    );
    expect(late.data!.rateTicket.errors).toEqual([{ code: 'CONFLICT' }]);
    expect((await fetch(base + bad)).status).toBe(410);
    const events = (await f.get(AGENT, t.id))!.events.filter((e) => e.type === 'SATISFACTION_RATED');
    expect(events.map((e) => e.payload.good)).toEqual([true, false, true]);
    const csat = await s.gql<
      { csatMetrics: { key: string; rated: number; good: number; goodShare: number }[] },
      unknown
    >(`{ csatMetrics(groupBy: PRIORITY) { key rated good goodShare } }`, {}, await f.token(AGENT));
    expect(csat.data!.csatMetrics).toEqual([{ key: 'LOW', rated: 1, good: 1, goodShare: 1 }]);
  }, 60_000);

  it('participants: a requester adds a colleague, who reads, finds, replies to and hears of the ticket; removed, they do not', async () => {
    const rita = await f.token('rita@acme.example');
    const sam = await f.token('sam@acme.example');
    const t = await f.create('rita@acme.example', {
      subject: 'Shared with Sam',
      description: 'For the team',
    });
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(t.reference)));
    const add = await s.gql<
      {
        addTicketParticipant: {
          errors: { code: string; field: string }[];
          ticket: { participants: { email: string }[] };
        };
      },
      unknown
    >(
      `mutation($id: ID!, $e: String!) { addTicketParticipant(input: { ticketId: $id, email: $e }) { errors { code field } ticket { participants { name } } } }`,
      { id: t.id, e: 'sam@acme.example' },
      rita,
    );
    expect(add.data!.addTicketParticipant).toEqual({
      errors: [],
      ticket: { participants: [{ name: 'Sam Requester' }] },
    });
    const stranger = await s.gql<
      { addTicketParticipant: { errors: { code: string; field: string }[] } },
      unknown
    >(
      `mutation($id: ID!, $e: String!) { addTicketParticipant(input: { ticketId: $id, email: $e }) { errors { code field } } }`,
      { id: t.id, e: 'ivan@initech.example' },
      rita,
    );
    expect(stranger.data!.addTicketParticipant.errors).toEqual([{ code: 'INVALID_INPUT', field: 'email' }]);
    const newcomer = await s.gql<
      {
        addTicketParticipant: {
          errors: unknown[];
          ticket: { participants: { email: string; name: string }[] };
        };
      },
      unknown
    >(
      `mutation($id: ID!) { addTicketParticipant(input: { ticketId: $id, email: "Nina@Acme.example", name: "Nina" }) { errors { code } ticket { participants { email name } } } }`,
      { id: t.id },
      rita,
    );
    expect(newcomer.data!.addTicketParticipant.ticket.participants.map((p) => p.name)).toEqual([
      'Sam Requester',
      'Nina',
    ]);
    // Sam reads it, finds it by search, and replies like the requester.
    expect((await f.get('sam@acme.example', t.id))!.reference).toBe(t.reference);
    const found = await s.gql<{ tickets: { edges: { node: { reference: string } }[] } }, unknown>(
      `{ tickets(filter: { search: "Shared" }) { edges { node { reference } } } }`,
      {},
      sam,
    );
    expect(found.data!.tickets.edges.map((e) => e.node.reference)).toContain(t.reference);
    await f.comment('sam@acme.example', { ticketId: t.id, body: 'Adding my two cents' });
    await f.comment(AGENT, { ticketId: t.id, body: 'SECRET-CC-NOTE', internal: true });
    await f.comment(AGENT, { ticketId: t.id, body: 'What is the deadline?', status: 'pending' });
    await smtp.waitFor(
      (m) => m.filter((x) => x.subject.includes(`${t.reference}] We need more information`)).length >= 3,
    );
    const asked = smtp.mails.filter((x) => x.subject.includes(`${t.reference}] We need more information`));
    expect(asked.flatMap((m) => m.to).sort()).toEqual([
      'nina@acme.example',
      'rita@acme.example',
      'sam@acme.example',
    ]);
    // A note written last, then a move without a reply: the mail quotes the last public reply, not the note.
    await f.comment(AGENT, { ticketId: t.id, body: 'SECRET-LAST-NOTE', internal: true });
    await f.move(AGENT, t.id, 'solved');
    await smtp.waitFor((m) => m.filter((x) => x.subject.includes(`${t.reference}] Resolved`)).length >= 3);
    const resolved = smtp.mails.filter((x) => x.subject.includes(`${t.reference}] Resolved`));
    for (const m of resolved) expect(m.parsed.text).toContain('What is the deadline?');
    for (const m of smtp.mails.filter((x) => x.subject.includes(t.reference))) {
      expect(m.raw).not.toContain('SECRET-CC-NOTE');
      expect(m.raw).not.toContain('SECRET-LAST-NOTE');
    }
    // Sam sees the ticket's public events, not the note; the PARTICIPANT_ADDED events are there.
    const events = (await f.get('sam@acme.example', t.id))!.events;
    expect(events.some((e) => e.type === 'PARTICIPANT_ADDED')).toBe(true);
    expect(events.every((e) => e.type !== 'COMMENT_ADDED' || e.payload.internal === false)).toBe(true);
    // Removed: Sam no longer reads or finds it.
    const removed = await s.gql<{ removeTicketParticipant: { errors: unknown[] } }, unknown>(
      `mutation($id: ID!, $u: ID!) { removeTicketParticipant(input: { ticketId: $id, userId: $u }) { errors { code } } }`,
      { id: t.id, u: ids['sam@acme.example'] },
      rita,
    );
    expect(removed.data!.removeTicketParticipant.errors).toEqual([]);
    expect(await f.get('sam@acme.example', t.id)).toBeNull();
    const after = await s.gql<{ tickets: { edges: { node: { reference: string } }[] } }, unknown>(
      `{ tickets(filter: { search: "Shared" }) { edges { node { reference } } } }`,
      {},
      sam,
    );
    expect(after.data!.tickets.edges.map((e) => e.node.reference)).not.toContain(t.reference);
  }, 60_000);

  it('templates: a bad one is refused with line and column; a workflow’s own is used and previewed; no header injection', async () => {
    const bad = await s.gql<
      { saveNotificationTemplate: { errors: { code: string; field: string; message: string }[] } },
      unknown
    >(
      `mutation($i: SaveNotificationTemplateInput!) { saveNotificationTemplate(input: $i) { errors { code field message } } }`,
      {
        i: {
          key: 'reminder',
          subject: 'Hi',
          text: 'Line one\n  {% if ticket %}never closed',
          html: '<p>{{ ticket.subject | nosuchfilter }}</p>',
        },
      },
      await admin(),
    );
    expect(bad.data!.saveNotificationTemplate.errors).toEqual([
      {
        code: 'INVALID_INPUT',
        field: 'text',
        message: expect.stringMatching(/^text: line 2, column 3: .*not closed/),
      },
      {
        code: 'INVALID_INPUT',
        field: 'html',
        message: expect.stringMatching(/^html: line 1, column 4: undefined filter: nosuchfilter/),
      },
    ]);
    const saved = await s.gql<
      { saveNotificationTemplate: { errors: unknown[]; template: { source: string } } },
      unknown
    >(
      `mutation($i: SaveNotificationTemplateInput!) { saveNotificationTemplate(input: $i) { errors { code message } template { source } } }`,
      {
        i: {
          key: 'agent-reply',
          workflowKey: 'saas-fast',
          subject: 'Update on {{ ticket.subject }}',
          text: 'Custom: {{ comment.body }}',
          html: '<p>Custom: {{ comment.body }}</p>',
        },
      },
      await admin(),
    );
    expect(saved.data!.saveNotificationTemplate).toEqual({ errors: [], template: { source: 'WORKFLOW' } });
    const t = await f.create(AGENT, {
      requesterId: ids['uma@umbrella.example'],
      workflowKey: 'saas-fast',
      subject: 'Evil\r\nBcc: victim@evil.test\r\nX-Injected: yes',
    });
    await f.comment(AGENT, { ticketId: t.id, body: 'Looking <i>into</i> it' });
    await smtp.waitFor((m) =>
      m.some((x) => x.subject.includes(t.reference) && x.subject.includes('Update on')),
    );
    const mail = smtp.mails.find((x) => x.subject.includes(t.reference) && x.subject.includes('Update on'))!;
    // The reference is added when a template leaves it out; the subject stays one line.
    expect(mail.subject).toBe(`[${t.reference}] Update on Evil Bcc: victim@evil.test X-Injected: yes`);
    expect(mail.parsed.headers.has('bcc')).toBe(false);
    expect(mail.parsed.headers.has('x-injected')).toBe(false);
    expect(mail.to).toEqual(['uma@umbrella.example']);
    expect(mail.parsed.text).toContain('Custom: Looking <i>into</i> it');
    expect(mail.parsed.html).toContain('Custom: Looking &lt;i&gt;into&lt;/i&gt; it');
    // A person's reply carries no Auto-Submitted.
    expect(mail.parsed.headers.has('auto-submitted')).toBe(false);
    const preview = await s.gql<{ previewNotification: { subject: string; text: string } }, unknown>(
      `query($id: ID!) { previewNotification(ticketId: $id, template: "agent-reply") { subject text } }`,
      { id: t.id },
      await f.token(AGENT),
    );
    expect(preview.data!.previewNotification.text).toBe('Custom: Looking <i>into</i> it');
    const draft = await s.gql<{ previewNotification: unknown }, unknown>(
      `query($id: ID!) { previewNotification(ticketId: $id, template: "x", source: { subject: "{{ ticket.reference", text: "", html: "" }) { subject } }`,
      { id: t.id },
      await f.token(AGENT),
    );
    expect(draft.errors![0]!.extensions!.code).toBe('INVALID_INPUT');
    expect(draft.errors![0]!.message).toMatch(/line 1, column 1/);
  }, 60_000);

  it('an SMTP server that refuses, then accepts: the message arrives once; a permanent refusal is FAILED, with an event for dashboards', async () => {
    let refusals = 0;
    smtp.answer = (mail) => {
      if (mail.subject.includes('Flaky') && refusals < 2) {
        refusals++;
        return 451;
      }
      if (mail.subject.includes('Doomed')) return 550;
      return undefined;
    };
    try {
      const flaky = await f.create('rita@acme.example', { subject: 'Flaky' });
      const doomed = await f.create('rita@acme.example', { subject: 'Doomed' });
      await smtp.waitFor(
        (m) => m.some((x) => x.subject.includes(flaky.reference)),
        15_000,
        'the retried message',
      );
      const until = Date.now() + 10_000;
      let failed: { status: string; attempts: number; lastResponse: string }[] = [];
      while (Date.now() < until) {
        const r = await s.gql<
          {
            notificationMessages: {
              status: string;
              attempts: number;
              lastResponse: string;
              ticket: { reference: string };
            }[];
          },
          unknown
        >(
          `{ notificationMessages(status: [FAILED]) { status attempts lastResponse ticket { reference } } }`,
          {},
          await f.token(AGENT),
        );
        failed = r.data!.notificationMessages.filter((m) => m.ticket.reference === doomed.reference);
        if (failed.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(failed).toEqual([
        {
          status: 'FAILED',
          attempts: 1,
          lastResponse: expect.stringContaining('550'),
          ticket: { reference: doomed.reference },
        },
      ]);
      const got = smtp.mails.filter((x) => x.subject.includes(flaky.reference));
      expect(got).toHaveLength(1);
      const messages = await s.gql<
        { ticket: { notifications: { status: string; attempts: number }[] } },
        unknown
      >(
        `query($id: ID!) { ticket(id: $id) { notifications { status attempts } } }`,
        { id: flaky.id },
        await f.token(AGENT),
      );
      expect(messages.data!.ticket.notifications).toEqual([{ status: 'SENT', attempts: 3 }]);
      const attempts = await s.sql<{ outcome: string }>(
        `select a.outcome from outbox_attempt a join notification_message m on m.id = a.delivery_id
          join ticket t on t.id = m.ticket_id where t.reference = $1 order by a.attempt`,
        [flaky.reference],
      );
      expect(attempts.map((a) => a.outcome)).toEqual(['RETRY', 'RETRY', 'SENT']);
      const events = (await f.get(AGENT, doomed.id))!.events.filter((e) => e.type === 'NOTIFICATION_FAILED');
      expect(events).toHaveLength(1);
      expect(events[0]!.payload).toMatchObject({
        recipient: 'rita@acme.example',
        template: 'ticket-received',
      });
      expect(
        (await f.get('rita@acme.example', doomed.id))!.events.some((e) => e.type === 'NOTIFICATION_FAILED'),
      ).toBe(false);
    } finally {
      smtp.answer = undefined;
    }
  }, 40_000);

  it('staff recipients: the assignee and followers hear of a requester’s reply, never of their own changes', async () => {
    const agency = PRESETS.find((p) => p.key === 'agency')!.definition;
    const created = await s.gql(
      CreateWorkflowDocument,
      {
        input: {
          key: 'agency-staff',
          name: 'Agency with staff mail',
          isDefault: false,
          definition: {
            ...agency,
            timers: [],
            notifications: [
              {
                on: 'STATUS_ENTERED',
                actorKinds: ['REQUESTER'],
                recipients: ['ASSIGNEE', 'FOLLOWERS'],
                template: 'status-update',
              },
            ],
          } as WorkflowDefinitionInput,
        },
      },
      await admin(),
    );
    expect(created.data!.createWorkflow.errors).toEqual([]);
    const t = await f.create(AGENT, {
      requesterId: ids['rita@acme.example'],
      workflowKey: 'agency-staff',
      subject: 'Staff mail',
    });
    await f.comment(AGENT, { ticketId: t.id, body: 'Which page?', status: 'pending' });
    const bob = await f.token('bob@docket.local');
    const follow = await s.gql<
      { followTicket: { errors: unknown[]; ticket: { followers: { name: string }[] } } },
      unknown
    >(
      `mutation($id: ID!) { followTicket(ticketId: $id) { errors { code } ticket { followers { name } } } }`,
      { id: t.id },
      bob,
    );
    expect(follow.data!.followTicket).toEqual({ errors: [], ticket: { followers: [{ name: 'Bob Tier1' }] } });
    const asRita = await s.gql<{ ticket: { followers: unknown[] } }, unknown>(
      `query($id: ID!) { ticket(id: $id) { followers { name } } }`,
      { id: t.id },
      await f.token('rita@acme.example'),
    );
    expect(asRita.data!.ticket.followers).toEqual([]);
    await f.comment('rita@acme.example', { ticketId: t.id, body: 'The contact page' });
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(`${t.reference}]`)));
    await new Promise((r) => setTimeout(r, 1000));
    const mails = smtp.mails.filter((x) => x.subject.includes(`${t.reference}]`));
    const assignee = (
      await s.gql<{ ticket: { assignee: { email: string } } }, unknown>(
        `query($id: ID!) { ticket(id: $id) { assignee { email } } }`,
        { id: t.id },
        await f.token(AGENT),
      )
    ).data!.ticket.assignee.email;
    expect(mails.flatMap((m) => m.to).sort()).toEqual([...new Set([assignee, 'bob@docket.local'])].sort());
    expect(mails[0]!.subject).toBe(`[${t.reference}] Open/New: Staff mail`);
  });

  it('a rolled-back change sends nothing', async () => {
    const { appendEvents } = await import('../src/events/event-log.js');
    const t = await f.create('rita@acme.example', { subject: 'Rollback' });
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(t.reference)));
    await s.orm.em
      .fork()
      .transactional(async (tx) => {
        await appendEvents(tx, [
          {
            ticketId: uuidOf(t.id),
            type: 'TICKET_CREATED' as never,
            actor: { kind: 'SYSTEM' },
            payload: {},
            occurredAt: new Date(),
          },
        ]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const marker = await f.create('rita@acme.example', { subject: 'After the rollback' });
    await smtp.waitFor((m) => m.some((x) => x.subject.includes(marker.reference)));
    expect(smtp.mails.filter((x) => x.subject.includes(t.reference))).toHaveLength(1);
  });
});
