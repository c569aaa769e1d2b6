import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** One message as the test SMTP server received it: the raw bytes and mailparser's reading of them. */
export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  to: string[];
  messageId: string;
  subject: string;
  at: number;
}

export interface SmtpSink {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /**
   * Decides each message's answer after its data arrived: undefined accepts (250); a number refuses
   * with that code (4xx: try again later, 5xx: never). `onData` may also do something first (kill a
   * worker, say).
   */
  answer?: (mail: ReceivedMail, n: number) => number | undefined | Promise<number | undefined>;
  /** Messages to the address, in arrival order. */
  to(address: string): ReceivedMail[];
  /** Waits until `predicate` holds for the mails received (polling), or fails after `timeoutMs`. */
  waitFor(predicate: (mails: ReceivedMail[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/** A real SMTP server (the smtp-server package) in the test process, on a free port of 127.0.0.1. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const sink = {} as SmtpSink;
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then(async (parsed) => {
            const mail: ReceivedMail = {
              raw,
              parsed,
              to: session.envelope.rcptTo.map((r) => r.address),
              messageId: parsed.messageId ?? '',
              subject: parsed.subject ?? '',
              at: Date.now(),
            };
            const code = await sink.answer?.(mail, n++);
            if (code) {
              const err = Object.assign(new Error(code >= 500 ? 'Refused for good' : 'Try again later'), {
                responseCode: code,
              });
              return callback(err);
            }
            sink.mails.push(mail);
            callback(null, 'Queued as test');
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  Object.assign(sink, {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails: [] as ReceivedMail[],
    to: (address: string) => sink.mails.filter((m) => m.to.includes(address)),
    async waitFor(predicate: (mails: ReceivedMail[]) => boolean, timeoutMs = 10_000, what = 'mail') {
      const until = Date.now() + timeoutMs;
      while (!predicate(sink.mails)) {
        if (Date.now() > until)
          throw new Error(
            `timed out waiting for ${what}; received: ${sink.mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ') || 'nothing'}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  return sink;
}
