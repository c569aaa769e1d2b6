/**
 * The inbound mail bench (part of `npm run bench`; `npm run bench:inbound` alone; BENCH_INBOUND=0 skips
 * it). One process: a fresh database with the demo data, Docket's HTTP server and its built-in SMTP
 * listener (src/inbound), and the clients (nodemailer over SMTP, fetch over HTTP), sharing the CPU.
 *
 * 1. Throughput, side by side in interleaved rounds: new mails the listener turns into tickets per
 *    second (nodemailer's SMTP pool, BENCH_CONCURRENCY connections, closed loop), against tickets the
 *    portal's `createTicket` opens per second over HTTP (the same concurrency, the same requester and
 *    organization). The ratio of the medians says what mail costs on top of the use case.
 * 2. Latency of replies: at BENCH_INBOUND_RATE replies a second (open loop) for BENCH_INBOUND_SECONDS,
 *    each a Gmail-style reply threaded by In-Reply-To onto a ticket of its own: the time of the SMTP
 *    transaction (MAIL FROM to `250 OK`, on a pooled connection), and the time from the commit of the comment's event
 *    (its NOTIFY on docket_events reaching a listening connection) to that `250 OK`. The listener
 *    answers after the commit by design, so the second is the (positive) lag of the answer behind the
 *    commit.
 */
import './env.js';
import pg from 'pg';
import nodemailer from 'nodemailer';
import { signUserToken } from '../src/access/jwt.js';
import { PgAttachmentStore } from '../src/attachments/store.js';
import { loadConfig } from '../src/config.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { EVENTS_CHANNEL } from '../src/events/event-log.js';
import { InboundSmtpListener } from '../src/inbound/smtp-listener.js';
import { loadDemoData } from '../src/seed/demo-data.js';
import { startServer } from '../src/server/app.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { openBenchDatabase } from './database.js';
import { fmt, median, numberFromEnv, quantile, table } from './stats.js';

const settings = {
  rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 4, 1)),
  seconds: numberFromEnv('BENCH_SECONDS', 5, 0.5),
  concurrency: Math.round(numberFromEnv('BENCH_CONCURRENCY', 8, 1)),
  rate: numberFromEnv('BENCH_INBOUND_RATE', 5, 0.5),
  latencySeconds: numberFromEnv('BENCH_INBOUND_SECONDS', 10, 1),
};
const log = (m: string) => console.log(`[bench] inbound: ${m}`);
const SENDER = 'rita@acme.example';
const SUPPORT = 'support@desk.test';

const CREATE = `mutation C($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } errors { code } } }`;

/** Runs `work` in `concurrency` loops for `seconds`; the completions per second. */
async function closedLoop(concurrency: number, seconds: number, work: (i: number) => Promise<void>) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await work(n++);
        done++;
      }
    }),
  );
  return done / seconds;
}

export async function runInboundBench(): Promise<string> {
  const db = await openBenchDatabase('docket_bench_inbound');
  const logger = createLogger('silent');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: db.url,
    MAIL_FROM: `Desk <${SUPPORT}>`,
    INBOUND_ADDRESSES: SUPPORT,
    INBOUND_RATE_PER_HOUR: '0',
    NOTIFICATIONS: 'off',
    SCHEDULER: 'off',
  });
  const orm = await initOrm(db.url, logger, 20);
  const listen = new pg.Client({ connectionString: db.url });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let listener: InboundSmtpListener | undefined;
  try {
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);
    server = await startServer(
      { config, orm, schema: await buildDocketSchema(), clock: systemClock, logger },
      { port: 0, host: '127.0.0.1' },
    );
    listener = new InboundSmtpListener(
      { em: orm.em, config, clock: systemClock, logger, store: new PgAttachmentStore() },
      { port: 0, host: '127.0.0.1' },
    );
    const { port } = await listener.start();
    const [rita] = await orm.em
      .fork()
      .execute<{ id: string }[]>(`select id from app_user where email = ?`, [SENDER]);
    const token = await signUserToken(config, rita!.id);
    const smtp = nodemailer.createTransport({
      pool: true,
      host: '127.0.0.1',
      port,
      ignoreTLS: true,
      maxConnections: settings.concurrency,
      maxMessages: Infinity,
    });
    const sendNew = async (i: number) => {
      const info = await smtp.sendMail({
        from: SENDER,
        to: SUPPORT,
        subject: `Bench mail ${i}`,
        text: `Message ${i}: the export fails.\n\nRita`,
        messageId: `<bench.${Date.now()}.${i}.${Math.random().toString(36).slice(2)}@acme.example>`,
      });
      if (!/^250 .*Received/.test(info.response)) throw new Error(`unexpected answer: ${info.response}`);
    };
    const createByApi = async (i: number) => {
      const res = await fetch(server!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: CREATE,
          variables: {
            input: { subject: `Bench portal ${i}`, description: 'the export fails', channel: 'PORTAL' },
          },
        }),
      });
      const body = (await res.json()) as { data?: { createTicket: { errors: unknown[] } } };
      if (!body.data || body.data.createTicket.errors.length)
        throw new Error(JSON.stringify(body).slice(0, 300));
    };

    // 1. Throughput, interleaved.
    log(
      `warming up, then ${settings.rounds} rounds of ${settings.seconds} s per side at concurrency ${settings.concurrency}…`,
    );
    await closedLoop(settings.concurrency, 1, sendNew);
    await closedLoop(settings.concurrency, 1, createByApi);
    const mail: number[] = [];
    const api: number[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      mail.push(await closedLoop(settings.concurrency, settings.seconds, sendNew));
      api.push(await closedLoop(settings.concurrency, settings.seconds, createByApi));
      log(`round ${r + 1}: mail ${fmt(mail.at(-1)!)} tickets/s, createTicket ${fmt(api.at(-1)!)} tickets/s`);
    }

    // 2. Latency of replies, open loop.
    const total = Math.round(settings.rate * settings.latencySeconds);
    log(`${total} replies at ${settings.rate}/s…`);
    const have = await orm.em
      .fork()
      .execute<{ n: string }[]>(
        `select count(*) as n from ticket where channel = 'EMAIL' and requester_id = ?`,
        [rita!.id],
      );
    const missing = total - Number(have[0]!.n);
    if (missing > 0) {
      let next = 0;
      await Promise.all(
        Array.from({ length: settings.concurrency }, async () => {
          while (next < missing) await sendNew(1_000_000 + next++);
        }),
      );
    }
    const tickets = await orm.em
      .fork()
      .execute<{ id: string; reference: string }[]>(
        `select id, reference from ticket where channel = 'EMAIL' and requester_id = ? order by created_at limit ?`,
        [rita!.id, total],
      );
    if (tickets.length < total)
      throw new Error(`only ${tickets.length} mail tickets to reply to; lower BENCH_INBOUND_RATE`);
    const notified: { seq: number; at: number }[] = [];
    await listen.connect();
    listen.on('notification', (n) => notified.push({ seq: Number(n.payload), at: performance.now() }));
    await listen.query(`listen ${EVENTS_CHANNEL}`);
    const sent: { ticketId: string; start: number; ok: number }[] = [];
    const started = performance.now();
    await Promise.all(
      tickets.map(async (t, i) => {
        const due = started + (i * 1000) / settings.rate;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        const start = performance.now();
        await smtp.sendMail({
          envelope: { from: SENDER, to: [SUPPORT] },
          raw: [
            `From: ${SENDER}`,
            `To: ${SUPPORT}`,
            `Subject: Re: [${t.reference}] Bench mail`,
            `Message-ID: <bench-reply.${i}.${Date.now()}@acme.example>`,
            `In-Reply-To: <ticket.${t.id}@desk.test>`,
            'Content-Type: text/plain; charset=utf-8',
            '',
            `Reply ${i}: still failing.`,
            '',
            'On Mon, Nov 30, 2026 at 9:12 AM Desk <support@desk.test> wrote:',
            '> Could you try again?',
            '',
          ].join('\r\n'),
        });
        sent.push({ ticketId: t.id, start, ok: performance.now() });
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const events = await orm.em
      .fork()
      .execute<{ ticket_id: string; seq: string }[]>(
        `select ticket_id, seq from ticket_event where type = 'COMMENT_ADDED' and actor_kind = 'REQUESTER' and ticket_id = any(?::uuid[])`,
        [`{${tickets.map((t) => t.id).join(',')}}`],
      );
    const seqOf = new Map(events.map((e) => [e.ticket_id, Number(e.seq)]));
    notified.sort((a, b) => a.seq - b.seq);
    const toOk: number[] = [];
    const commitToOk: number[] = [];
    for (const s of sent) {
      toOk.push(s.ok - s.start);
      const seq = seqOf.get(s.ticketId);
      const commit = seq === undefined ? undefined : notified.find((n) => n.seq >= seq);
      if (commit) commitToOk.push(s.ok - commit.at);
    }
    smtp.close();
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const [a, c] = [sorted(toOk), sorted(commitToOk)];
    const ratio = median(mail) / median(api);
    return [
      'Inbound mail (one process: server, SMTP listener and clients share the CPU; measured under load)',
      table([
        ['path', 'tickets/s (median of rounds)', 'rounds'],
        ['mail over SMTP → ticket', fmt(median(mail)), mail.map((x) => fmt(x)).join(' ')],
        ['createTicket over HTTP', fmt(median(api)), api.map((x) => fmt(x)).join(' ')],
        ['ratio mail / createTicket', `${fmt(ratio, 2)}×`, ''],
      ]),
      '',
      `Replies at ${settings.rate}/s for ${settings.latencySeconds} s (${sent.length} sent, ${commitToOk.length} matched to their commit):`,
      table([
        ['', 'p50 ms', 'p99 ms', 'max ms'],
        [
          'SMTP transaction (MAIL FROM … DATA) → 250 OK',
          fmt(quantile(a, 0.5)),
          fmt(quantile(a, 0.99)),
          fmt(a.at(-1) ?? NaN),
        ],
        [
          'comment event committed → 250 OK',
          fmt(quantile(c, 0.5)),
          fmt(quantile(c, 0.99)),
          fmt(c.at(-1) ?? NaN),
        ],
      ]),
      '(250 is sent after the commit by design, so the commit always comes first; the second line is how long after.)',
    ].join('\n');
  } finally {
    await listen.end().catch(() => {});
    await listener?.stop();
    await server?.close();
    await orm.close();
    await db.close();
  }
}
