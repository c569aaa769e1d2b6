import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import * as fx from './support/mail-fixtures.js';
import { startSmtpSink, type SmtpSink } from './support/smtp.js';

/**
 * Inline images keep working in HTML mails sent out (issue 15): an agent's reply with an image
 * attachment reaches the requester (a real SMTP server in this process) with the image inline, by
 * Content-ID, in the HTML; internal images never go out.
 */
const AGENT = 'alice@docket.local';
const UMA = 'uma@umbrella.example';

describe('inline images in notifications', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({
      scheduler: 'process',
      notifications: true,
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Desk <support@desk.test>' },
    });
    f = flows(s);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  const upload = async (ticketId: string, filename: string, bytes: Buffer, internal: boolean) => {
    const res = await s.gql<{ createAttachmentUpload: { upload: { url: string } } }, unknown>(
      `mutation U($input: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $input) { upload { url } errors { code } } }`,
      { input: { ticketId, filename, internal } },
      await f.token(AGENT),
    );
    const u = new URL(res.data!.createAttachmentUpload.upload.url);
    const put = await fetch(`${new URL(s.url).origin}${u.pathname}`, { method: 'PUT', body: bytes });
    expect(put.status).toBe(201);
    return ((await put.json()) as { id: string }).id;
  };

  it('an agent’s reply with an image reaches the requester with the image inline (cid:)', async () => {
    const [uma] = await s.sql<{ id: string }>(`select id from app_user where email = $1`, [UMA]);
    const t = await f.create(AGENT, { requesterId: uma!.id, subject: 'Chart broken', channel: 'EMAIL' });
    const image = await upload(t.id, 'annotated.png', fx.PNG, false);
    const secret = await upload(t.id, 'secret.png', fx.PNG, true);
    await f.comment(AGENT, {
      ticketId: t.id,
      body: 'Internal look',
      internal: true,
      attachmentIds: [secret],
    });
    await f.comment(AGENT, { ticketId: t.id, body: 'See the marked area.', attachmentIds: [image] });
    await smtp.waitFor(
      (m) => m.some((x) => x.to.includes(UMA) && x.parsed.text?.includes('See the marked area.')),
      15_000,
      'the reply',
    );
    const mail = smtp.to(UMA).find((x) => x.parsed.text?.includes('See the marked area.'))!;
    // As sent: the HTML refers to the image by Content-ID (mailparser shows it as a data: URI).
    expect(mail.raw.replace(/=\r?\n/g, '')).toContain(`src=3D"cid:${image}@docket"`);
    expect(mail.parsed.html).toContain('<img src="data:image/png;base64,');
    expect(mail.raw).not.toContain(secret);
    const inline = mail.parsed.attachments.filter((a) => a.contentId === `<${image}@docket>`);
    expect(inline).toHaveLength(1);
    expect(inline[0]!.content.equals(fx.PNG)).toBe(true);
    expect(mail.parsed.attachments).toHaveLength(1);
  });
});
