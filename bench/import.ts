/**
 * The import bench (`npm run bench:import`; issue 16 item 4): how long a 1,000-ticket `importTickets`
 * batch takes on a real server (in this process) and a fresh database, side by side with the same
 * 1,000 tickets opened live with `createTicket` (one call each, no history) and with importing the same
 * batch again (idempotent: recognised by external id, nothing written). Interleaved rounds; medians.
 *
 * Each imported ticket has the history of a worked ticket on the `saas` workflow under an SLA policy:
 * 3 comments (one an internal note) and 4 status changes, so the clock runs over real history.
 * BENCH_IMPORT_TICKETS (default 1000), BENCH_ROUNDS (default 3).
 */
import './env.js';
import { signUserToken } from '../src/access/jwt.js';
import { loadConfig } from '../src/config.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { User } from '../src/directory/user.entity.js';
import { loadDemoData } from '../src/seed/demo-data.js';
import { startServer } from '../src/server/app.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { openBenchDatabase } from './database.js';
import { fmt, median, numberFromEnv, table } from './stats.js';

const settings = {
  tickets: Math.round(numberFromEnv('BENCH_IMPORT_TICKETS', 1000, 1)),
  rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 3, 1)),
};
const log = (m: string) => console.log(`[bench] import: ${m}`);

const IMPORT = `mutation($input: ImportTicketsInput!) { importTickets(input: $input) { created unchanged failed results { errors { message } } } }`;
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { errors { message } ticket { id } } }`;

/** A worked ticket's history, opened `i` minutes after a Monday 09:00 UTC three weeks ago. */
function ticket(round: number, i: number, base: number) {
  const t = (minutes: number) => new Date(base + (i + minutes) * 60_000).toISOString();
  return {
    externalId: `bench-${round}-${i}`,
    createdAt: t(0),
    subject: `Imported ticket ${i}`,
    description: 'The export button does nothing',
    channel: 'EMAIL',
    priority: (['LOW', 'MEDIUM', 'HIGH'] as const)[i % 3],
    workflowKey: 'saas',
    requesterEmail: `customer${i % 50}@bench.example`,
    comments: [
      { at: t(30), body: 'Which browser?', authorKind: 'AGENT', authorEmail: 'alice@docket.local' },
      { at: t(35), body: 'CSV path, probably', authorKind: 'AGENT', internal: true },
      { at: t(120), body: 'Firefox', authorKind: 'REQUESTER' },
    ],
    statusChanges: [
      { at: t(30), to: 'in_progress' },
      { at: t(31), to: 'awaiting_customer' },
      { at: t(120), to: 'in_progress', reason: 'Requester replied' },
      { at: t(240), to: 'resolved' },
    ],
  };
}

export async function runImportBench(): Promise<string> {
  const config = loadConfig({ ...process.env, MAX_BODY_BYTES: String(64 * 1024 * 1024) });
  const logger = createLogger('silent');
  const db = await openBenchDatabase('docket_bench_import');
  const orm = await initOrm(db.url, logger, config.dbPoolMax);
  try {
    await migrate(orm);
    await loadDemoData(orm.em.fork(), systemClock);
    const server = await startServer(
      { config, orm, schema: await buildDocketSchema(), clock: systemClock, logger },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const admin = await orm.em.fork().findOneOrFail(User, { email: 'admin@docket.local' });
      const token = await signUserToken(config, admin.id);
      const post = async (query: string, variables: unknown) => {
        const res = await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
        if (res.status !== 200 || body.errors)
          throw new Error(`HTTP ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
        return body.data!;
      };
      const monday = new Date();
      monday.setUTCDate(monday.getUTCDate() - 21 - ((monday.getUTCDay() + 6) % 7));
      monday.setUTCHours(9, 0, 0, 0);
      const base = monday.getTime();
      const timed = async (work: () => Promise<unknown>) => {
        const start = performance.now();
        await work();
        return performance.now() - start;
      };
      const times = { import: [] as number[], again: [] as number[], live: [] as number[] };
      for (let round = 0; round < settings.rounds; round++) {
        const batch = Array.from({ length: settings.tickets }, (_, i) => ticket(round, i, base));
        times.import.push(
          await timed(async () => {
            const r = (await post(IMPORT, { input: { tickets: batch } })).importTickets as {
              created: number;
              failed: number;
              results: { errors: { message: string }[] }[];
            };
            if (r.created !== settings.tickets)
              throw new Error(
                `imported ${r.created} of ${settings.tickets}: ${JSON.stringify(r.results.find((x) => x.errors.length))}`,
              );
          }),
        );
        times.again.push(
          await timed(async () => {
            const r = (await post(IMPORT, { input: { tickets: batch } })).importTickets as {
              unchanged: number;
            };
            if (r.unchanged !== settings.tickets) throw new Error(`re-import found ${r.unchanged} unchanged`);
          }),
        );
        times.live.push(
          await timed(async () => {
            for (const t of batch)
              await post(CREATE, {
                input: {
                  subject: t.subject,
                  description: t.description,
                  channel: t.channel,
                  priority: t.priority,
                  workflowKey: 'saas',
                  requesterEmail: t.requesterEmail,
                },
              });
          }),
        );
        log(
          `round ${round + 1}: import ${fmt(times.import.at(-1)! / 1000, 2)} s, again ${fmt(times.again.at(-1)! / 1000, 2)} s, live ${fmt(times.live.at(-1)! / 1000, 2)} s`,
        );
      }
      const [imp, again, live] = [median(times.import), median(times.again), median(times.live)];
      const n = settings.tickets;
      return [
        `Import: ${n} tickets per call (3 comments and 4 status changes each, saas workflow, SLA policies), ${settings.rounds} interleaved rounds, medians. ${db.description}`,
        table([
          ['', 'total s', 'ms per ticket', 'against live createTicket'],
          ['importTickets (new)', fmt(imp / 1000, 2), fmt(imp / n, 2), `${fmt(imp / live, 2)}×`],
          [
            'importTickets (again, unchanged)',
            fmt(again / 1000, 2),
            fmt(again / n, 2),
            `${fmt(again / live, 2)}×`,
          ],
          ['createTicket, one call each (no history)', fmt(live / 1000, 2), fmt(live / n, 2), '1×'],
        ]),
      ].join('\n');
    } finally {
      await server.close();
    }
  } finally {
    await orm.close();
    await db.close();
  }
}
