import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { startDocket, type DocketProcess } from './support/processes.js';
import { startSmtpSink, type SmtpSink } from './support/smtp.js';

/**
 * Notifications sent by two `docket worker` processes (from dist/) for an API server that runs no
 * jobs: every message arrives exactly once; and when the worker that holds a message is killed with
 * SIGKILL after the SMTP server has the message but before the worker heard the answer, the other
 * worker sends it again after the lease, with the same Message-ID (SMTP cannot tell us it had it).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('notifications on two worker processes', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let smtp: SmtpSink;
  const workers: DocketProcess[] = [];

  const startWorker = async () =>
    workers.push(
      await startDocket('worker', s.databaseUrl, {
        NOTIFICATIONS: 'on',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'support@desk.test',
        SCHEDULER_POLL_MS: '300',
        SCHEDULER_LOCK_LIFETIME_MS: '2000',
        OUTBOX_LEASE_MS: '8000',
        OUTBOX_SWEEP_MS: '300',
        NOTIFY_RETRY_MS: '100',
        REALTIME_POLL_MS: '500',
      }),
    );

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ scheduler: 'schedule' });
    f = flows(s);
    await startWorker();
    await startWorker();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await s?.close();
    await smtp?.close();
  });

  it('send every message exactly once', async () => {
    const refs: string[] = [];
    for (let i = 0; i < 30; i++)
      refs.push((await f.create('rita@acme.example', { subject: `Shared ${i}` })).reference);
    await smtp.waitFor(
      (m) => refs.every((r) => m.some((x) => x.subject.includes(r))),
      20_000,
      'every acknowledgement',
    );
    await sleep(1000);
    for (const r of refs) expect(smtp.mails.filter((x) => x.subject.includes(`${r}]`))).toHaveLength(1);
    const attempts = await s.sql<{ n: string }>(
      `select count(*) as n from outbox_attempt a join outbox_delivery d on d.id = a.delivery_id
        where d.queue = 'notify' and (a.attempt <> 1 or a.outcome <> 'SENT')`,
    );
    expect(Number(attempts[0]!.n)).toBe(0);
  }, 40_000);

  it('a worker killed between the SMTP server taking a message and its answer: sent again, once, with the same Message-ID', async () => {
    let victim: DocketProcess | undefined;
    smtp.answer = async (mail) => {
      if (!mail.subject.includes('Kill me') || victim) return undefined;
      const [row] = await s.sql<{ lease_owner: string }>(
        `select d.lease_owner from outbox_delivery d join notification_message m on m.id = d.id
          where m.message_id = $1`,
        [mail.messageId],
      );
      victim = workers.find((w) => row?.lease_owner?.endsWith(`:${w.proc.pid}`));
      victim?.proc.kill('SIGKILL');
      await new Promise((r) => victim?.proc.once('exit', r));
      // The server has the message; the worker that sent it never hears so.
      return undefined;
    };
    try {
      const t = await f.create('rita@acme.example', { subject: 'Kill me' });
      await smtp.waitFor(
        (m) => m.filter((x) => x.subject.includes(t.reference)).length >= 2,
        40_000,
        'the second delivery',
      );
      expect(victim).toBeDefined();
      await sleep(1500);
      const got = smtp.mails.filter((x) => x.subject.includes(t.reference));
      expect(got).toHaveLength(2);
      expect(got[0]!.messageId).toBe(got[1]!.messageId);
      const [row] = await s.sql<{ status: string; attempts: number }>(
        `select d.status, d.attempts from outbox_delivery d join notification_message m on m.id = d.id
          join ticket t on t.id = m.ticket_id where t.reference = $1`,
        [t.reference],
      );
      expect(row).toEqual({ status: 'SENT', attempts: 2 });
      // The survivor goes on: a new message arrives once.
      const after = await f.create('rita@acme.example', { subject: 'After the kill' });
      await smtp.waitFor((m) => m.some((x) => x.subject.includes(after.reference)), 15_000);
      await sleep(500);
      expect(smtp.mails.filter((x) => x.subject.includes(after.reference))).toHaveLength(1);
    } finally {
      smtp.answer = undefined;
    }
  }, 90_000);
});
