import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TicketDocument, ViewerDocument } from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { startDocket, type DocketProcess } from './support/processes.js';

/**
 * Two `docket worker` processes share the deadline jobs of one API server (SCHEDULER=off there):
 * nothing fires twice, and a worker killed with SIGKILL in the middle of a job leaves its effect to
 * happen exactly once, by the other worker, after the job's lock expires. Needs the compiled
 * dist/ (npm test builds it first).
 */
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two worker processes', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const workers: DocketProcess[] = [];
  let rita = '';

  const startWorker = async () =>
    workers.push(
      await startDocket('worker', s.databaseUrl, {
        SCHEDULER_POLL_MS: '300',
        SCHEDULER_LOCK_LIFETIME_MS: '2000',
        SCHEDULER_LOCK_LIMIT: '5',
      }),
    );

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'schedule' });
    f = flows(s);
    await f.fastWorkflow('agency');
    rita = (await s.gql(ViewerDocument, {}, await f.token('rita@acme.example'))).data!.viewer!.id;
    await startWorker();
    await startWorker();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await s?.close();
  });

  const statusOf = async (id: string) => (await f.get(AGENT, id))!.status.key;
  const events = async (id: string) =>
    (await s.gql(TicketDocument, { id }, await f.token(AGENT))).data!.ticket!.events;

  it('share the jobs and fire none twice', async () => {
    const tickets = [];
    for (let i = 0; i < 12; i++) {
      const t = await f.create(AGENT, {
        requesterId: rita,
        workflowKey: 'agency-fast',
        subject: `Shared ${i}`,
      });
      await f.comment(AGENT, { ticketId: t.id, body: 'Which page?', status: 'pending' });
      tickets.push(t);
    }
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const statuses = await Promise.all(tickets.map((t) => statusOf(t.id)));
      if (statuses.every((x) => x === 'closed')) break;
      await sleep(200);
    }
    for (const t of tickets) {
      const log = await events(t.id);
      expect(log.filter((e) => e.type === 'REQUESTER_REMINDED')).toHaveLength(2);
      expect(log.filter((e) => e.type === 'STATUS_CHANGED' && e.payload.to === 'closed')).toHaveLength(1);
      expect(log.filter((e) => e.type === 'TAGS_CHANGED')).toHaveLength(1);
    }
    // Both workers took jobs (each logs the jobs it ran).
    const ran = workers.map((w) => w.log.join('').split('deadline job ran').length - 1);
    expect(ran.every((n) => n > 0)).toBe(true);
  }, 30_000);

  it('a worker killed with SIGKILL in the middle of a job: the effect happens exactly once', async () => {
    const t = await f.create(AGENT, {
      requesterId: rita,
      workflowKey: 'agency-fast',
      subject: 'Killed mid-job',
    });
    const id = uuidOf(t.id);
    // Hold the ticket's row lock so the job that closes it (after 24 h = 200 ms) blocks half-way.
    const blocker = new pg.Client({ connectionString: s.databaseUrl });
    await blocker.connect();
    await f.comment(AGENT, { ticketId: t.id, body: 'Done', status: 'solved' });
    await blocker.query('begin');
    await blocker.query('select id from ticket where id = $1 for update', [id]);
    let holder: string | undefined;
    const until = Date.now() + 5000;
    while (!holder && Date.now() < until) {
      const [job] = await s.sql<{ by: string | null; locked_at: Date | null }>(
        "select last_modified_by as by, locked_at from agenda_jobs where name = 'workflow-timer' and data->>'ticketId' = $1",
        [id],
      );
      if (job?.locked_at && job.by) holder = job.by;
      else await sleep(50);
    }
    expect(holder).toBeDefined();
    const victim = workers.find((w) => holder!.endsWith(`:${w.proc.pid}`))!;
    expect(victim).toBeDefined();
    victim.proc.kill('SIGKILL');
    await new Promise((r) => victim.proc.once('exit', r));
    await blocker.query('rollback');
    await blocker.end();
    // The other worker takes the job once its lock expires (2 s here).
    const deadline = Date.now() + 12_000;
    while ((await statusOf(t.id)) !== 'closed' && Date.now() < deadline) await sleep(200);
    expect(await statusOf(t.id)).toBe('closed');
    await sleep(1000);
    const closes = (await events(t.id)).filter(
      (e) => e.type === 'STATUS_CHANGED' && e.payload.to === 'closed',
    );
    expect(closes).toHaveLength(1);
  }, 40_000);
});
