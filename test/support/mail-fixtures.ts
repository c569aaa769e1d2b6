/**
 * Raw messages of real-world shapes, written for the inbound tests (CRLF line ends, as on the wire).
 * Each takes the parts a test varies; everything else is as the named client writes it.
 */
const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

let n = 0;
/** A fresh Message-ID of the sender's domain. */
export const messageId = (domain = 'mail.example') => `<fixture.${Date.now()}.${++n}@${domain}>`;

export interface Head {
  from: string;
  to?: string;
  cc?: string;
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  extra?: string[];
}

const head = (h: Head) => [
  `From: ${h.from}`,
  `To: ${h.to ?? 'Support <support@desk.test>'}`,
  ...(h.cc ? [`Cc: ${h.cc}`] : []),
  `Subject: ${h.subject}`,
  `Date: Mon, 30 Nov 2026 10:00:00 +0000`,
  `Message-ID: ${h.messageId ?? messageId()}`,
  ...(h.inReplyTo ? [`In-Reply-To: ${h.inReplyTo}`] : []),
  ...(h.references ? [`References: ${h.references}`] : []),
  'MIME-Version: 1.0',
  ...(h.extra ?? []),
];

/** text/plain, quoted-printable, UTF-8 (soft line breaks and an encoded umlaut). */
export const quotedPrintable = (h: Head) =>
  crlf([
    ...head(h),
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'The export to CSV fails for every report longer than one page, since the upd=',
    'ate on Monday. M=C3=BCller from accounting saw it first.',
  ]);

/** text/plain in ISO-8859-1, base64 ("Grüße aus Köln – die Rechnung fehlt." without the dash). */
export const latin1Base64 = (h: Head) =>
  crlf([
    ...head(h),
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('Grüße aus Köln, die Rechnung für November fehlt.\r\n', 'latin1').toString('base64'),
  ]);

/** HTML only, with a script and a style that must not survive. */
export const htmlOnly = (h: Head) =>
  crlf([
    ...head(h),
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><head><style>p { color: red }</style><script>alert("x")</script></head>',
    '<body><p>Hello,</p><p>the <b>dashboard</b> shows <i>no data</i> since 9:00.</p>',
    '<p><a href="https://acme.example/dash">https://acme.example/dash</a></p></body></html>',
  ]);

/** multipart/alternative: the text part is the body. */
export const alternative = (h: Head) =>
  crlf([
    ...head(h),
    'Content-Type: multipart/alternative; boundary="alt-1"',
    '',
    '--alt-1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Plain part: the login page loops.',
    '--alt-1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>HTML part: the login page <b>loops</b>.</p>',
    '--alt-1--',
  ]);

/** A Gmail reply: new text, then "On … wrote:" and the quoted notification. */
export const gmailReply = (h: Head, text: string) =>
  crlf([
    ...head(h),
    'Content-Type: text/plain; charset=UTF-8',
    '',
    text,
    '',
    'On Mon, Nov 30, 2026 at 9:12 AM Docket Support <support@desk.test> wrote:',
    '',
    '> Hello,',
    '> could you tell us which page it should go on?',
    '>',
    '> Docket Support',
  ]);

/** An Outlook reply: new text, a signature, then the underscore line and the From/Sent/To/Subject block. */
export const outlookReply = (h: Head, text: string) =>
  crlf([
    ...head({
      ...h,
      extra: [...(h.extra ?? []), 'X-Mailer: Microsoft Outlook 16.0', 'Thread-Index: AQHZ1234'],
    }),
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    text,
    '',
    'Kind regards,',
    '',
    '________________________________',
    'From: Docket Support <support@desk.test>',
    'Sent: Monday, November 30, 2026 9:12 AM',
    'To: Sofia Seller <sofia@globex.example>',
    'Subject: [TCK-000001] Payout missing',
    '',
    'Hello, we are waiting for your reply.',
  ]);

/** An out-of-office auto-reply (RFC 3834 Auto-Submitted: auto-replied). */
export const autoReply = (h: Head) =>
  crlf([
    ...head({ ...h, extra: ['Auto-Submitted: auto-replied', 'X-Autoreply: yes'] }),
    'Content-Type: text/plain; charset=utf-8',
    '',
    'I am out of the office until Monday.',
  ]);

/** A delivery status notification (RFC 3464) from the mailer daemon. */
export const bounce = (h: Head, originalTo: string) =>
  crlf([
    ...head({ ...h, from: 'Mail Delivery System <MAILER-DAEMON@mx.acme.example>' }),
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-1"',
    '',
    '--dsn-1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `Delivery to ${originalTo} failed permanently.`,
    '--dsn-1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.acme.example',
    '',
    `Final-Recipient: rfc822; ${originalTo}`,
    'Action: failed',
    'Status: 5.1.1',
    '--dsn-1--',
  ]);

/** A 1×1 PNG (real bytes: the type is sniffed from them). */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** multipart/related HTML with an inline image (cid:) and a PDF attachment declared as octet-stream. */
export const inlineImage = (h: Head, pdf: Buffer) =>
  crlf([
    ...head(h),
    'Content-Type: multipart/mixed; boundary="mix-1"',
    '',
    '--mix-1',
    'Content-Type: multipart/related; boundary="rel-1"',
    '',
    '--rel-1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>See the screenshot: <img src="cid:shot1@acme.example"></p>',
    '--rel-1',
    'Content-Type: image/png; name="shot.png"',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <shot1@acme.example>',
    'Content-Disposition: inline; filename="shot.png"',
    '',
    PNG.toString('base64'),
    '--rel-1--',
    '--mix-1',
    'Content-Type: application/octet-stream; name="invoice.pdf"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="invoice.pdf"',
    '',
    pdf.toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--mix-1--',
  ]);

/** A minimal valid-looking PDF of about `bytes` bytes (its signature is what file-type reads). */
export const pdfOf = (bytes: number) =>
  Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(Math.max(0, bytes - 9), 0x20)]);
