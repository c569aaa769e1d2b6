import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TicketEventSeqsDocument, ViewerDocument } from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { startDocket, type DocketProcess } from './support/processes.js';
import { connect, type WsConnection } from './support/ws.js';

/**
 * Events reach subscribers on every server process whichever process committed them: two `docket
 * serve` processes (SCHEDULER=off) and a `docket worker` on one database, plus this test's own server.
 */
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('events across processes', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const procs: DocketProcess[] = [];
  const conns: WsConnection[] = [];

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'schedule' });
    f = flows(s);
    await f.fastWorkflow('agency');
    const env = { SCHEDULER: 'off', REALTIME_POLL_MS: '10000' }; // delivery must come from NOTIFY, not the poll
    procs.push(
      ...(await Promise.all([
        startDocket('serve', s.databaseUrl, env),
        startDocket('serve', s.databaseUrl, env),
      ])),
    );
    procs.push(
      await startDocket('worker', s.databaseUrl, {
        SCHEDULER_POLL_MS: '300',
        SCHEDULER_LOCK_LIFETIME_MS: '2000',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.dispose()));
    await Promise.all(procs.map((p) => p.stop()));
    await s?.close();
  });

  it('every server process delivers every committed event, in sequence order, from whichever process wrote it', async () => {
    const token = await f.token(AGENT);
    const [a, b] = procs.slice(0, 2).map((p) => connect(p.url!, token));
    conns.push(a!, b!);
    const subs = [a!, b!].map((c) => c.subscribe(TicketEventSeqsDocument, {}));
    await sleep(300);
    const [{ n: start }] = await s.sql<{ n: string }>('select last_seq as n from event_sequence');
    const rita = (await s.gql(ViewerDocument, {}, await f.token('rita@acme.example'))).data!.viewer!.id;

    // Written through server process A, through this test's server, and by the worker's timers.
    const viaA = await fetch(procs[0]!.url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } errors { message } } }`,
        variables: { input: { subject: 'Via A', description: 'x', channel: 'PHONE', requesterId: rita } },
      }),
    }).then((r) => r.json() as Promise<{ data: { createTicket: { ticket: { id: string } } } }>);
    expect(viaA.data.createTicket.ticket.id).toEqual(expect.any(String));
    const t = await f.create(AGENT, {
      requesterId: rita,
      workflowKey: 'agency-fast',
      subject: 'Reminded by the worker',
    });
    await f.comment(AGENT, { ticketId: t.id, body: 'Which page?', status: 'pending' });
    // seed 002: reminders after 24 h and 5 days (200 ms and 1 s here), closed after 7 days (1.4 s).
    const until = Date.now() + 15_000;
    let expected: { seq: number; type: string; actor_kind: string }[] = [];
    while (Date.now() < until) {
      expected = (
        await s.sql<{ seq: string; type: string; actor_kind: string }>(
          'select seq, type, actor_kind from ticket_event where seq > $1 order by seq',
          [start],
        )
      ).map((r) => ({ ...r, seq: Number(r.seq) }));
      if (expected.filter((e) => e.type === 'STATUS_CHANGED' && e.actor_kind === 'SYSTEM').length) break;
      await sleep(200);
    }
    expect(expected.filter((e) => e.type === 'REQUESTER_REMINDED')).toHaveLength(2);
    for (const sub of subs) {
      await sub.take(expected.length, 10_000);
      await sleep(200);
      expect(sub.results.map((r) => r.data!.ticketEvents.seq)).toEqual(expected.map((e) => e.seq));
    }
  }, 40_000);
});
