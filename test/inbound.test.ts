import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { PgAttachmentStore } from '../src/attachments/store.js';
import { InboundSmtpListener } from '../src/inbound/smtp-listener.js';
import { createLogger } from '../src/shared/logger.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import * as fx from './support/mail-fixtures.js';

/**
 * Inbound email end to end: nodemailer sends real messages over SMTP to the built-in listener and over
 * HTTP to the raw-message endpoint of a real server on a real PostgreSQL; each test asserts the ticket,
 * the comment after stripping, participants, attachments and events through the GraphQL API.
 */
const AGENT = 'alice@docket.local';
const TOKEN = 'inbound-test-token-0123456789';

const TICKET = `query T($ref: String!) {
  ticketByReference(reference: $ref) {
    id reference subject description channel status { key } requester { email } participants { email }
    workflow { key }
    comments { edges { node { body internal authorKind attachments { filename contentType size url } } } }
    attachments { filename contentType size contentId url }
    events { type payload }
    relatedTickets { kind direction ticket { reference } }
  }
}`;

interface TicketView {
  id: string;
  reference: string;
  subject: string;
  description: string;
  channel: string;
  status: { key: string };
  requester: { email: string };
  participants: { email: string }[];
  workflow: { key: string };
  comments: {
    edges: {
      node: {
        body: string;
        internal: boolean;
        authorKind: string;
        attachments: { filename: string; contentType: string; size: number; url: string }[];
      };
    }[];
  };
  attachments: {
    filename: string;
    contentType: string;
    size: number;
    contentId: string | null;
    url: string;
  }[];
  events: { type: string; payload: Record<string, unknown> }[];
  relatedTickets: { kind: string; direction: string; ticket: { reference: string } }[];
}

describe('inbound email', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let listener: InboundSmtpListener;
  let smtp: Transporter;
  let origin: string;

  beforeAll(async () => {
    s = await startTestServer({
      scheduler: 'process',
      env: {
        MAIL_FROM: 'Desk Support <support@desk.test>',
        INBOUND_ADDRESSES: 'support@desk.test,help@desk.test',
        INBOUND_HTTP_TOKEN: TOKEN,
        INBOUND_RATE_PER_HOUR: '20',
        INBOUND_MAX_BYTES: String(2 * 1024 * 1024),
        ATTACHMENT_MAX_BYTES: String(300 * 1024),
        ATTACHMENT_MAX_TICKET_BYTES: String(1024 * 1024),
      },
    });
    f = flows(s);
    listener = new InboundSmtpListener(
      {
        em: s.orm.em,
        config: s.config,
        clock: s.clock,
        logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
        store: new PgAttachmentStore(),
        scheduler: s.scheduler,
      },
      { port: 0, host: '127.0.0.1' },
    );
    const { port } = await listener.start();
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    origin = new URL(s.url).origin;
  }, 60_000);

  afterAll(async () => {
    smtp?.close();
    await listener?.stop();
    await s?.close();
  });

  const sendRaw = async (raw: string, from: string, to: string[] = ['support@desk.test']) =>
    smtp.sendMail({ envelope: { from, to }, raw });

  const post = async (raw: string | Buffer, auth = `Bearer ${TOKEN}`) => {
    const res = await fetch(`${origin}/inbound/email`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'message/rfc822' },
      body: raw,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const ticket = async (reference: string): Promise<TicketView> => {
    const res = await s.gql<{ ticketByReference: TicketView }, { ref: string }>(
      TICKET,
      { ref: reference },
      await f.token(AGENT),
    );
    expect(res.errors).toBeUndefined();
    return res.data!.ticketByReference;
  };

  const inboundRow = async (messageId: string) =>
    (
      await s.sql<{ status: string; reason: string | null; detail: string | null; ticket_id: string | null }>(
        `select status, reason, detail, ticket_id from inbound_email where message_id = $1`,
        [messageId],
      )
    )[0];

  const refOf = async (messageId: string) =>
    (
      await s.sql<{ reference: string }>(
        `select t.reference from inbound_email e join ticket t on t.id = e.ticket_id where e.message_id = $1`,
        [messageId],
      )
    )[0]?.reference;

  it('a new mail over SMTP opens a ticket: channel EMAIL, the organization’s workflow, CCs of the organization as participants, EMAIL_RECEIVED', async () => {
    const id = fx.messageId('acme.example');
    const info = await smtp.sendMail({
      from: 'Rita Requester <rita@acme.example>',
      to: 'support@desk.test',
      cc: ['Sam <sam@acme.example>', 'newcolleague@acme.example', 'outsider@other.example'],
      subject: 'Contact form broken',
      text: 'The contact form on /contact answers 500.\n\nRita',
      messageId: id,
    });
    expect(info.response).toMatch(/^250 /);
    const ref = await refOf(id);
    const t = await ticket(ref!);
    expect(t.channel).toBe('EMAIL');
    expect(t.subject).toBe('Contact form broken');
    expect(t.description).toContain('The contact form on /contact answers 500.');
    expect(t.requester.email).toBe('rita@acme.example');
    expect(t.workflow.key).toBe('agency');
    expect(t.participants.map((p) => p.email).sort()).toEqual([
      'newcolleague@acme.example',
      'sam@acme.example',
    ]);
    const received = t.events.filter((e) => e.type === 'EMAIL_RECEIVED');
    expect(received).toHaveLength(1);
    expect(received[0]!.payload).toMatchObject({
      from: 'rita@acme.example',
      messageId: id,
      outcome: 'TICKET_CREATED',
    });
    expect(t.events.map((e) => e.type)).toContain('TICKET_CREATED');
    // EMAIL_RECEIVED is for staff only.
    const own = await s.gql<{ ticketByReference: { events: { type: string }[] } }, { ref: string }>(
      `query T($ref: String!) { ticketByReference(reference: $ref) { events { type } } }`,
      { ref: ref! },
      await f.token('rita@acme.example'),
    );
    expect(own.data!.ticketByReference.events.map((e) => e.type)).not.toContain('EMAIL_RECEIVED');
  });

  it('the same Message-ID twice (SMTP, then HTTP) makes one ticket', async () => {
    const id = fx.messageId('acme.example');
    const raw = fx.quotedPrintable({
      from: 'Rita <rita@acme.example>',
      subject: 'CSV export',
      messageId: id,
    });
    const first = await sendRaw(raw, 'rita@acme.example');
    expect(first.response).toMatch(/^250 .*Received/);
    const again = await post(raw);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, status: 'TICKET_CREATED' });
    const rows = await s.sql<{ n: string }>(`select count(*) as n from inbound_email where message_id = $1`, [
      id,
    ]);
    expect(rows[0]!.n).toBe('1');
    const tickets = await s.sql<{ n: string }>(
      `select count(*) as n from ticket where subject = 'CSV export' and channel = 'EMAIL'`,
    );
    expect(tickets[0]!.n).toBe('1');
    // Quoted-printable decoded: soft line breaks joined, UTF-8 umlaut.
    const t = await ticket((await refOf(id))!);
    expect(t.description).toContain('since the update on Monday. Müller from accounting');
  });

  it('decodes base64 in ISO-8859-1, HTML-only (to safe text) and multipart/alternative (the text part)', async () => {
    const latin = fx.messageId('acme.example');
    const html = fx.messageId('acme.example');
    const alt = fx.messageId('acme.example');
    await post(fx.latin1Base64({ from: 'rita@acme.example', subject: 'Rechnung', messageId: latin }));
    await post(fx.htmlOnly({ from: 'rita@acme.example', subject: 'Dashboard', messageId: html }));
    await post(fx.alternative({ from: 'rita@acme.example', subject: 'Login', messageId: alt }));
    expect((await ticket((await refOf(latin))!)).description).toContain(
      'Grüße aus Köln, die Rechnung für November fehlt.',
    );
    const h = (await ticket((await refOf(html))!)).description;
    expect(h).toContain('the dashboard shows no data since 9:00.');
    expect(h).toContain('https://acme.example/dash');
    expect(h).not.toMatch(/<|alert|color: red/);
    expect((await ticket((await refOf(alt))!)).description).toBe('Plain part: the login page loops.');
  });

  it('a Gmail-style reply threads by In-Reply-To to Docket’s Message-ID: the stripped text is the requester’s comment (002: Pending → Open)', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('rita@acme.example'),
      subject: 'Logo size',
      description: 'Make it larger',
      channel: 'EMAIL',
    });
    await f.comment(AGENT, { ticketId: t.id, body: 'Which page?', status: 'pending' });
    const reply = fx.messageId('acme.example');
    const notification = `<${t.reference.toLowerCase()}.42.0123456789ab@desk.test>`;
    const res = await sendRaw(
      fx.gmailReply(
        {
          from: 'Rita <rita@acme.example>',
          subject: 'Re: We need more information: Logo size',
          messageId: reply,
          inReplyTo: notification,
          references: `<ticket.${uuidOf(t.id)}@desk.test> ${notification}`,
        },
        'The home page, please.\n\nBest,\nRita',
      ),
      'rita@acme.example',
    );
    expect(res.response).toMatch(/^250 /);
    const after = await ticket(t.reference);
    const comments = after.comments.edges.map((e) => e.node);
    const mine = comments.find((c) => c.authorKind === 'REQUESTER')!;
    expect(mine.body).toBe('The home page, please.\n\nBest,\nRita');
    expect(mine.body).not.toContain('wrote:');
    expect(after.status.key).toBe('open_new');
    expect(after.events.find((e) => e.type === 'EMAIL_RECEIVED')!.payload).toMatchObject({
      outcome: 'COMMENT_ADDED',
    });
    expect((await inboundRow(reply))!.status).toBe('COMMENT_ADDED');
  });

  it('an Outlook-style reply threads by [TCK-…] in the subject and ends the wait (001: Waiting on seller → Waiting on support)', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('sofia@globex.example'),
      subject: 'Payout missing',
      description: 'Where is my payout?',
      channel: 'EMAIL',
    });
    await f.move(AGENT, t.id, 'l1_in_progress');
    await f.move(AGENT, t.id, 'waiting_on_seller');
    const reply = fx.messageId('globex.example');
    await sendRaw(
      fx.outlookReply(
        {
          from: 'Sofia Seller <sofia@globex.example>',
          subject: `RE: [${t.reference}] Payout missing`,
          messageId: reply,
        },
        'Here is the order number: 55-1234.',
      ),
      'sofia@globex.example',
    );
    const after = await ticket(t.reference);
    expect(after.status.key).toBe('waiting_on_support');
    const body = after.comments.edges.map((e) => e.node).find((c) => c.authorKind === 'REQUESTER')!.body;
    // The quoted notification and the closing line are gone.
    expect(body).toBe('Here is the order number: 55-1234.');
  });

  it('a reply by plus-address reopens (004: Resolved → Reopened)', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('hana@hooli.example'),
      subject: 'Course access',
      description: 'Cannot open lesson 3',
      channel: 'EMAIL',
    });
    await f.move(AGENT, t.id, 'processing');
    await f.move(AGENT, t.id, 'resolved');
    const reply = fx.messageId('hooli.example');
    await sendRaw(
      fx.gmailReply(
        {
          from: 'hana@hooli.example',
          to: `support+${t.reference.toLowerCase()}@desk.test`,
          subject: 'Re: resolved',
          messageId: reply,
        },
        'Still cannot open it.',
      ),
      'hana@hooli.example',
      [`support+${t.reference.toLowerCase()}@desk.test`],
    );
    const after = await ticket(t.reference);
    expect(after.status.key).toBe('reopened');
    expect(after.comments.edges.map((e) => e.node.body)).toContain('Still cannot open it.');
  });

  it('a reply to a Closed ticket opens a linked follow-up (002)', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('rita@acme.example'),
      subject: 'Old request',
      description: 'Done long ago',
      channel: 'EMAIL',
    });
    await f.move(AGENT, t.id, 'closed', 'Finished');
    const reply = fx.messageId('acme.example');
    const r = await post(
      fx.gmailReply(
        { from: 'rita@acme.example', subject: `Re: [${t.reference}] Old request`, messageId: reply },
        'One more thing: the footer.',
      ),
    );
    expect(r.body).toMatchObject({ status: 'FOLLOW_UP_CREATED', duplicate: false });
    const followUp = await ticket(r.body.ticket as string);
    expect(followUp.reference).not.toBe(t.reference);
    expect(followUp.description).toBe('One more thing: the footer.');
    expect(followUp.relatedTickets).toEqual(
      [{ kind: 'FOLLOW_UP', direction: 'FOLLOWS', ticket: { reference: t.reference } }].map((x) =>
        expect.objectContaining({ kind: x.kind, ticket: x.ticket }),
      ),
    );
    expect((await ticket(t.reference)).status.key).toBe('closed');
  });

  it('a reply the workflow refuses (001: Closed is final) is recorded REJECTED with EMAIL_REJECTED on the ticket', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('sofia@globex.example'),
      subject: 'Final one',
      description: 'x',
      channel: 'EMAIL',
    });
    await f.move(AGENT, t.id, 'l1_in_progress');
    await f.move(AGENT, t.id, 'waiting_on_seller');
    await f.move('admin@docket.local', t.id, 'closed', 'No answer');
    const reply = fx.messageId('globex.example');
    const r = await post(
      fx.gmailReply(
        { from: 'sofia@globex.example', subject: `Re: [${t.reference}] Final one`, messageId: reply },
        'Late answer.',
      ),
    );
    expect(r.body).toMatchObject({ status: 'REJECTED', reason: 'TICKET_CLOSED', ticket: t.reference });
    const after = await ticket(t.reference);
    expect(after.status.key).toBe('closed');
    expect(after.comments.edges).toHaveLength(0);
    expect(after.events.find((e) => e.type === 'EMAIL_REJECTED')!.payload).toMatchObject({
      reason: 'TICKET_CLOSED',
      from: 'sofia@globex.example',
      messageId: reply,
    });
  });

  it('a sender with no right to the ticket gets a new ticket of their own, never a comment on it; an unknown domain is refused', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('rita@acme.example'),
      subject: 'Private matter',
      description: 'Rita only',
      channel: 'EMAIL',
    });
    const stranger = fx.messageId('globex.example');
    const r = await post(
      fx.gmailReply(
        { from: 'sofia@globex.example', subject: `Re: [${t.reference}] Private matter`, messageId: stranger },
        'Let me in.',
      ),
    );
    expect(r.body).toMatchObject({ status: 'TICKET_CREATED' });
    expect(r.body.ticket).not.toBe(t.reference);
    expect(r.body.detail).toMatch(/neither requester nor participant/);
    const original = await ticket(t.reference);
    expect(original.comments.edges).toHaveLength(0);
    const mine = await ticket(r.body.ticket as string);
    expect(mine.requester.email).toBe('sofia@globex.example');
    expect(mine.subject).toBe('Private matter');

    const unknown = fx.messageId('nowhere.example');
    const u = await post(
      fx.alternative({ from: 'mallory@nowhere.example', subject: 'Hi', messageId: unknown }),
    );
    expect(u.body).toMatchObject({ status: 'REJECTED', reason: 'UNKNOWN_SENDER', ticket: null });
    expect((await s.sql(`select 1 from app_user where email = 'mallory@nowhere.example'`)).length).toBe(0);

    const staff = fx.messageId('docket.local');
    const a = await post(
      fx.gmailReply({ from: AGENT, subject: `Re: [${t.reference}] x`, messageId: staff }, 'From an agent'),
    );
    expect(a.body).toMatchObject({ status: 'REJECTED', reason: 'STAFF_SENDER', ticket: t.reference });
    const rejected = (await ticket(t.reference)).events.find((e) => e.type === 'EMAIL_REJECTED');
    expect(rejected!.payload).toMatchObject({ reason: 'STAFF_SENDER', from: AGENT });
  });

  it('auto-replies, bounces, bulk mail and Docket’s own mail are ignored and recorded, never answered', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('rita@acme.example'),
      subject: 'Loop bait',
      description: 'x',
      channel: 'EMAIL',
    });
    const before = (await ticket(t.reference)).comments.edges.length;
    const auto = fx.messageId('acme.example');
    await sendRaw(
      fx.autoReply({
        from: 'rita@acme.example',
        subject: `Out of office Re: [${t.reference}] Loop bait`,
        messageId: auto,
      }),
      'rita@acme.example',
    );
    const dsn = fx.messageId('mx.acme.example');
    await sendRaw(
      fx.bounce(
        { from: 'x', subject: 'Undelivered Mail Returned to Sender', messageId: dsn },
        'rita@acme.example',
      ),
      '',
    );
    const bulk = fx.messageId('acme.example');
    await post(
      fx
        .alternative({ from: 'rita@acme.example', subject: 'Newsletter', messageId: bulk })
        .replace('MIME-Version: 1.0', 'Precedence: bulk\r\nMIME-Version: 1.0'),
    );
    const own = fx.messageId('desk.test');
    await post(
      fx.alternative({
        from: 'Desk Support <support@desk.test>',
        subject: `[${t.reference}] x`,
        messageId: own,
      }),
    );
    expect(await inboundRow(auto)).toMatchObject({ status: 'IGNORED', reason: 'AUTO_REPLY' });
    expect(await inboundRow(dsn)).toMatchObject({ status: 'IGNORED', reason: 'BOUNCE' });
    expect(await inboundRow(bulk)).toMatchObject({ status: 'IGNORED', reason: 'BULK' });
    expect(await inboundRow(own)).toMatchObject({ status: 'IGNORED', reason: 'OWN_ADDRESS' });
    expect((await ticket(t.reference)).comments.edges.length).toBe(before);
  });

  it('attachments: inline image and PDF kept with sniffed types, served by short-lived signed links; too large ones skipped and named', async () => {
    const id = fx.messageId('acme.example');
    const pdf = fx.pdfOf(20_000);
    await sendRaw(
      fx.inlineImage({ from: 'rita@acme.example', subject: 'Screenshot', messageId: id }, pdf),
      'rita@acme.example',
    );
    const t = await ticket((await refOf(id))!);
    const files = [...t.attachments].sort((a, b) => a.filename.localeCompare(b.filename));
    expect(files.map((a) => [a.filename, a.contentType, a.size, a.contentId])).toEqual([
      ['invoice.pdf', 'application/pdf', pdf.length, null],
      ['shot.png', 'image/png', fx.PNG.length, 'shot1@acme.example'],
    ]);
    // Links are made on PUBLIC_URL (unset here: localhost:4000); the test server listens elsewhere.
    const here = (url: string) => `${origin}${new URL(url).pathname}${new URL(url).search}`;
    expect(files[1]!.url).toMatch(
      /^http:\/\/localhost:4000\/attachments\/[0-9a-f-]{36}\?expires=\d+&sig=[0-9a-f]{64}$/,
    );
    const download = await fetch(here(files[1]!.url));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(fx.PNG)).toBe(true);
    const tampered = files[1]!.url.replace(/sig=[0-9a-f]/, (m) =>
      m.endsWith('0') ? `${m.slice(0, -1)}1` : `${m.slice(0, -1)}0`,
    );
    expect((await fetch(here(tampered))).status).toBe(404);
    // The same PNG again: stored once (SHA-256).
    const again = fx.messageId('acme.example');
    await post(
      fx.inlineImage(
        { from: 'rita@acme.example', subject: 'Screenshot 2', messageId: again },
        fx.pdfOf(400 * 1024),
      ),
    );
    const blobs = await s.sql<{ n: string }>(
      `select count(*) as n from attachment_blob b where exists (select 1 from attachment a where a.sha256 = b.sha256 and a.filename = 'shot.png')`,
    );
    expect(blobs[0]!.n).toBe('1');
    const row = await inboundRow(again);
    expect(row!.detail).toMatch(/invoice\.pdf is larger than 307200 bytes/);
    const t2 = await ticket((await refOf(again))!);
    expect(t2.attachments.map((a) => a.filename)).toEqual(['shot.png']);
  });

  it('the listener is no relay, refuses messages over the size limit, and the endpoint wants its token', async () => {
    await expect(
      sendRaw(fx.alternative({ from: 'rita@acme.example', subject: 'x' }), 'rita@acme.example', [
        'someone@elsewhere.example',
      ]),
    ).rejects.toMatchObject({ responseCode: 550 });
    const big = fx.inlineImage({ from: 'rita@acme.example', subject: 'big' }, fx.pdfOf(2 * 1024 * 1024));
    await expect(sendRaw(big, 'rita@acme.example')).rejects.toMatchObject({ responseCode: 552 });
    expect(
      (
        await post(
          fx.alternative({ from: 'rita@acme.example', subject: 'x' }),
          'Bearer wrong-token-wrong-token',
        )
      ).status,
    ).toBe(401);
    const basic = `Basic ${Buffer.from(`docket:${TOKEN}`).toString('base64')}`;
    expect(
      (await post(fx.alternative({ from: 'rita@acme.example', subject: 'basic auth' }), basic)).status,
    ).toBe(200);
    expect((await post(big)).status).toBe(413);
  });

  it('a sender over INBOUND_RATE_PER_HOUR is ignored', async () => {
    const results: string[] = [];
    for (let i = 0; i < 22; i++) {
      const r = await post(fx.alternative({ from: 'flood@acme.example', subject: `Flood ${i}` }));
      results.push(`${r.body.status}${r.body.reason ? `:${r.body.reason}` : ''}`);
    }
    expect(results.slice(0, 20).every((r) => r === 'TICKET_CREATED')).toBe(true);
    expect(results.slice(20)).toEqual(['IGNORED:RATE_LIMITED', 'IGNORED:RATE_LIMITED']);
  });

  it('API uploads by signed link: taken by a comment, internal ones only for staff, limits and ownership checked', async () => {
    const t = await f.create(AGENT, {
      requesterId: await userId('rita@acme.example'),
      subject: 'Uploads',
      description: 'x',
      channel: 'PORTAL',
    });
    const UPLOAD = `mutation U($input: CreateAttachmentUploadInput!) {
      createAttachmentUpload(input: $input) { upload { url expiresAt maxBytes } errors { code message } } }`;
    const COMMENT = `mutation C($input: AddCommentInput!) {
      addComment(input: $input) { comment { id } errors { code message } } }`;
    const upload = async (email: string, filename: string, bytes: Buffer, internal = false) => {
      const res = await s.gql<
        { createAttachmentUpload: { upload: { url: string } | null; errors: { code: string }[] } },
        unknown
      >(UPLOAD, { input: { ticketId: t.id, filename, internal } }, await f.token(email));
      const link = res.data!.createAttachmentUpload;
      if (!link.upload) return { errors: link.errors };
      const u = new URL(link.upload.url);
      const put = await fetch(`${origin}${u.pathname}`, { method: 'PUT', body: bytes });
      return { status: put.status, body: (await put.json()) as { id: string; contentType: string } };
    };
    // A customer cannot upload internal files.
    expect((await upload('rita@acme.example', 'x.png', fx.PNG, true)).errors).toEqual([
      expect.objectContaining({ code: 'NOT_PERMITTED' }),
    ]);
    const note = await upload(AGENT, 'internal.png', fx.PNG, true);
    expect(note.status).toBe(201);
    expect(note.body!.contentType).toBe('image/png');
    const pub = await upload('rita@acme.example', '../../etc/report.pdf', fx.pdfOf(5000));
    expect(pub.status).toBe(201);
    // Pending uploads are shown nowhere.
    expect((await ticket(t.reference)).attachments).toEqual([]);
    // Only the uploader's own uploads can be taken.
    const stolen = await s.gql<{ addComment: { errors: { code: string; message: string }[] } }, unknown>(
      COMMENT,
      { input: { ticketId: t.id, body: 'mine now', attachmentIds: [note.body!.id] } },
      await f.token('rita@acme.example'),
    );
    expect(stolen.data!.addComment.errors[0]).toMatchObject({ code: 'INVALID_INPUT' });
    const a = await s.gql<{ addComment: { errors: unknown[] } }, unknown>(
      COMMENT,
      { input: { ticketId: t.id, body: 'See attached', internal: true, attachmentIds: [note.body!.id] } },
      await f.token(AGENT),
    );
    expect(a.data!.addComment.errors).toEqual([]);
    const r = await s.gql<{ addComment: { errors: unknown[] } }, unknown>(
      COMMENT,
      { input: { ticketId: t.id, body: 'The report', attachmentIds: [pub.body!.id] } },
      await f.token('rita@acme.example'),
    );
    expect(r.data!.addComment.errors).toEqual([]);
    const staffView = await ticket(t.reference);
    expect(staffView.attachments.map((x) => [x.filename, x.contentType]).sort()).toEqual([
      ['internal.png', 'image/png'],
      ['report.pdf', 'application/pdf'],
    ]);
    const ritaView = await s.gql<{ ticketByReference: TicketView }, { ref: string }>(
      TICKET,
      { ref: t.reference },
      await f.token('rita@acme.example'),
    );
    expect(ritaView.data!.ticketByReference.attachments.map((x) => x.filename)).toEqual(['report.pdf']);
    // Too large for ATTACHMENT_MAX_BYTES: 413, nothing stored.
    const big = await upload('rita@acme.example', 'big.bin', Buffer.alloc(400 * 1024, 1));
    expect(big.status).toBe(413);
    // ATTACHMENT_MAX_TICKET_BYTES (1 MB here): the fourth file of 290 KB is one too many.
    const answers: number[] = [];
    for (let i = 0; i < 4; i++)
      answers.push(
        (await upload('rita@acme.example', `part${i}.bin`, Buffer.alloc(290 * 1024, i + 1))).status!,
      );
    expect(answers).toEqual([201, 201, 201, 422]);
  });

  it('counts mail by source and outcome in /metrics', async () => {
    const text = await (await fetch(`${origin}/metrics`)).text();
    expect(text).toMatch(
      /docket_inbound_emails_total\{source="SMTP",status="TICKET_CREATED",reason=""\} [1-9]/,
    );
    expect(text).toMatch(
      /docket_inbound_emails_total\{source="HTTP",status="IGNORED",reason="RATE_LIMITED"\} 2/,
    );
    expect(text).toMatch(/docket_inbound_emails_total\{source="HTTP",status="DUPLICATE",reason=""\} [1-9]/);
    expect(text).toMatch(/docket_inbound_email_seconds_count\{source="SMTP"\} [1-9]/);
  });

  it('the same message delivered twice at once makes one ticket (the second waits for the first)', async () => {
    const id = fx.messageId('acme.example');
    const raw = fx.alternative({ from: 'rita@acme.example', subject: 'Twice at once', messageId: id });
    const [a, b] = await Promise.all([post(raw), post(raw)]);
    expect([a.body.duplicate, b.body.duplicate].sort()).toEqual([false, true]);
    expect(a.body.ticket).toBe(b.body.ticket);
    const n = await s.sql<{ n: string }>(`select count(*) as n from ticket where subject = 'Twice at once'`);
    expect(n[0]!.n).toBe('1');
  });

  it('staff read received mail with what became of it and why; customers may not', async () => {
    const q = `{ inboundEmails(status: [REJECTED], first: 5) { messageId from status reason detail subject ticket { reference } } }`;
    const staff = await s.gql<
      { inboundEmails: { from: string; status: string; reason: string; detail: string }[] },
      unknown
    >(q, {}, await f.token(AGENT));
    expect(staff.errors).toBeUndefined();
    expect(staff.data!.inboundEmails.length).toBeGreaterThan(0);
    for (const e of staff.data!.inboundEmails) {
      expect(e.status).toBe('REJECTED');
      expect(e.reason).toMatch(/^[A-Z_]+$/);
      expect(e.detail).toBeTruthy();
    }
    expect(staff.data!.inboundEmails.map((e) => e.reason)).toContain('UNKNOWN_SENDER');
    const customer = await s.gql(q, {}, await f.token('rita@acme.example'));
    expect(customer.errors![0]!.extensions!.code).toBe('NOT_PERMITTED');
  });

  it('admins set an organization’s email domains: its unknown senders then become its requesters; a domain has one owner', async () => {
    const [org] = await s.sql<{ id: string }>(`select id from organization where name = 'Initech'`);
    const SET = `mutation S($input: SetOrganizationEmailDomainsInput!) {
      setOrganizationEmailDomains(input: $input) { organization { emailDomains } errors { code field message } } }`;
    type Set = {
      setOrganizationEmailDomains: {
        organization: { emailDomains: string[] } | null;
        errors: { code: string; field: string; message: string }[];
      };
    };
    const before = await post(fx.alternative({ from: 'peter@initech-mail.example', subject: 'TPS reports' }));
    expect(before.body).toMatchObject({ status: 'REJECTED', reason: 'UNKNOWN_SENDER' });
    const taken = await s.gql<Set, unknown>(
      SET,
      { input: { organizationId: org!.id, domains: ['acme.example'] } },
      await f.token('admin@docket.local'),
    );
    expect(taken.data!.setOrganizationEmailDomains.errors).toEqual([
      expect.objectContaining({
        code: 'INVALID_INPUT',
        field: 'domains[0]',
        message: expect.stringMatching(/belongs to Acme/),
      }),
    ]);
    const bad = await s.gql<Set, unknown>(
      SET,
      { input: { organizationId: org!.id, domains: ['not a domain'] } },
      await f.token('admin@docket.local'),
    );
    expect(bad.data!.setOrganizationEmailDomains.errors[0]).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'domains[0]',
    });
    const agent = await s.gql<Set, unknown>(
      SET,
      { input: { organizationId: org!.id, domains: ['initech-mail.example'] } },
      await f.token(AGENT),
    );
    expect(agent.data!.setOrganizationEmailDomains.errors[0]!.code).toBe('NOT_PERMITTED');
    const ok = await s.gql<Set, unknown>(
      SET,
      { input: { organizationId: org!.id, domains: ['Initech-Mail.example', 'initech.example'] } },
      await f.token('admin@docket.local'),
    );
    expect(ok.data!.setOrganizationEmailDomains).toEqual({
      organization: { emailDomains: ['initech-mail.example', 'initech.example'] },
      errors: [],
    });
    const after = await post(
      fx.alternative({ from: 'Peter Gibbons <peter@initech-mail.example>', subject: 'TPS reports again' }),
    );
    expect(after.body).toMatchObject({ status: 'TICKET_CREATED' });
    const t = await ticket(after.body.ticket as string);
    expect(t.requester.email).toBe('peter@initech-mail.example');
    expect(t.workflow.key).toBe('managed-service');
    const [peter] = await s.sql<{ name: string; organization_id: string }>(
      `select name, organization_id from app_user where email = 'peter@initech-mail.example'`,
    );
    expect(peter).toEqual({ name: 'Peter Gibbons', organization_id: org!.id });
  });

  /** A second listener on the same server with other options (STARTTLS, DMARC enforced). */
  const otherListener = async (opts: {
    tls?: { key: Buffer; cert: Buffer };
    auth?: 'enforce';
    resolver?: (n: string, rr: string) => Promise<unknown>;
  }) => {
    const l = new InboundSmtpListener(
      {
        em: s.orm.em,
        config: { ...s.config, inbound: { ...s.config.inbound, auth: opts.auth ?? 'off' } },
        clock: s.clock,
        logger: createLogger('silent'),
        store: new PgAttachmentStore(),
        resolver: opts.resolver,
      },
      { port: 0, host: '127.0.0.1', tls: opts.tls },
    );
    return { listener: l, port: (await l.start()).port };
  };

  it('offers STARTTLS with a configured key and certificate', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'docket-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const { listener: l, port } = await otherListener({
      tls: { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) },
    });
    try {
      const secure = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        requireTLS: true,
        tls: { rejectUnauthorized: false },
      });
      const id = fx.messageId('acme.example');
      const info = await secure.sendMail({
        envelope: { from: 'rita@acme.example', to: ['support@desk.test'] },
        raw: fx.alternative({ from: 'rita@acme.example', subject: 'Over TLS', messageId: id }),
      });
      expect(info.response).toMatch(/^250 /);
      expect((await inboundRow(id))!.status).toBe('TICKET_CREATED');
      secure.close();
      // Without a key and certificate, STARTTLS is not offered: a client that insists is refused.
      const insist = nodemailer.createTransport({
        host: '127.0.0.1',
        port: listener.port!,
        requireTLS: true,
      });
      await expect(
        insist.sendMail({
          envelope: { from: 'rita@acme.example', to: ['support@desk.test'] },
          raw: fx.alternative({ from: 'rita@acme.example', subject: 'x' }),
        }),
      ).rejects.toThrow(/STARTTLS/);
    } finally {
      await l.stop();
    }
  });

  it('INBOUND_AUTH=enforce: a DKIM-signed message passes DMARC, a forged one is refused (AUTH_FAILED)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    // The DNS of acme.example as mailauth asks it (a resolver of our own: no network in tests).
    const records: Record<string, string[][]> = {
      'sel1._domainkey.acme.example': [[`v=DKIM1; k=rsa; p=${p}`]],
      '_dmarc.acme.example': [['v=DMARC1; p=reject']],
      'acme.example': [['v=spf1 -all']],
    };
    const resolver = async (name: string, rr: string) => {
      const found = rr === 'TXT' ? records[name.toLowerCase()] : undefined;
      if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found;
    };
    const { listener: l, port } = await otherListener({ auth: 'enforce', resolver });
    try {
      const signed = fx.messageId('acme.example');
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        ignoreTLS: true,
        dkim: {
          domainName: 'acme.example',
          keySelector: 'sel1',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      });
      await client.sendMail({
        from: 'rita@acme.example',
        to: 'support@desk.test',
        subject: 'Signed',
        text: 'Signed mail',
        messageId: signed,
      });
      const ok = await inboundRow(signed);
      expect(ok).toMatchObject({ status: 'TICKET_CREATED' });
      expect(ok!.detail).toMatch(/dmarc=pass/);
      client.close();
      const forged = fx.messageId('acme.example');
      await sendRawTo(
        port,
        fx.alternative({ from: 'rita@acme.example', subject: 'Forged', messageId: forged }),
        'rita@acme.example',
      );
      expect(await inboundRow(forged)).toMatchObject({ status: 'REJECTED', reason: 'AUTH_FAILED' });
    } finally {
      await l.stop();
    }
  });

  const sendRawTo = async (port: number, raw: string, from: string) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
    try {
      return await t.sendMail({ envelope: { from, to: ['support@desk.test'] }, raw });
    } finally {
      t.close();
    }
  };

  const userId = async (email: string) =>
    (await s.sql<{ id: string }>(`select id from app_user where email = $1`, [email]))[0]!.id;
});
