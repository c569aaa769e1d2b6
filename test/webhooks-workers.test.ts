import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from './support/harness.js';
import { flows } from './support/flows.js';
import { startDocket, type DocketProcess } from './support/processes.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Webhooks sent by two `docket worker` processes (from dist/) for an API server that runs no jobs:
 * every endpoint receives every event once, in order; and when the worker holding a delivery is killed
 * with SIGKILL after the receiver took it but before the worker heard the answer, the other worker sends
 * it again after the lease, with the same webhook-id, and goes on in order.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Obj = Record<string, unknown>;

describe('webhooks on two worker processes', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const workers: DocketProcess[] = [];
  const receivers: WebhookReceiver[] = [];
  let key = '';
  let partnerId = '';

  const admin = async (query: string, variables?: Obj) => {
    const res = await s.gql<Obj, unknown>(query, variables, await f.token('admin@docket.local'));
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0] as Obj;
  };
  const endpoint = async () => {
    const r = await startReceiver();
    receivers.push(r);
    const made = await admin(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } secret } }`,
      { input: { partnerId, url: r.url } },
    );
    r.secrets = [made.secret as string];
    return { r, id: (made.endpoint as { id: string }).id };
  };
  const partnerTicket = async (subject: string) => {
    const res = await s.gql<Obj, unknown>(
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } errors { code } } }`,
      { input: { subject, description: 'd', channel: 'API', requesterEmail: 'sofia@globex.example' } },
      key,
    );
    expect(res.errors).toBeUndefined();
  };
  const logSeqs = async (after: number) => {
    const res = await s.gql<{ eventLog: { edges: { node: { seq: number } }[] } }, unknown>(
      `query($after: SafeInt) { eventLog(after: $after, first: 100) { edges { node { seq } } } }`,
      { after },
      key,
    );
    return res.data!.eventLog.edges.map((e) => e.node.seq);
  };
  const lastSeq = async () =>
    Number((await s.sql<{ last_seq: string }>('select last_seq from event_sequence'))[0]!.last_seq);
  const startWorker = async () =>
    workers.push(
      await startDocket('worker', s.databaseUrl, {
        WEBHOOKS: 'on',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_RETRY_MS: '100',
        WEBHOOK_RETRY_MAX_MS: '500',
        SCHEDULER_POLL_MS: '300',
        SCHEDULER_LOCK_LIFETIME_MS: '2000',
        OUTBOX_LEASE_MS: '5000',
        OUTBOX_SWEEP_MS: '300',
        REALTIME_POLL_MS: '300',
      }),
    );

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'schedule' });
    f = flows(s);
    const p = await admin(`mutation { createPartner(input: { name: "TGX" }) { partner { id } } }`);
    partnerId = (p.partner as { id: string }).id;
    key = (
      await admin(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`, {
        input: { partnerId, name: 'k', scopes: ['TICKETS_WRITE', 'EVENTS_SUBSCRIBE'] },
      })
    ).key as string;
    await startWorker();
    await startWorker();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await s?.close();
    await Promise.all(receivers.map((r) => r.down()));
  });

  it('every endpoint receives every event exactly once, in order', async () => {
    const eps = [await endpoint(), await endpoint(), await endpoint()];
    await sleep(500); // the workers' catch-up sees the new endpoints' cursors
    const from = await lastSeq();
    for (let i = 0; i < 10; i++) await partnerTicket(`Shared ${i}`);
    const expected = await logSeqs(from);
    expect(expected).toHaveLength(30);
    for (const { r } of eps) await r.waitFor((got) => got.length >= expected.length, 30_000);
    await sleep(1000);
    for (const { r } of eps) {
      expect(r.requests.map((w) => w.body.data.seq)).toEqual(expected);
      expect(r.rejected).toBe(0);
    }
    // Both workers took part.
    const owners = await s.sql<{ worker: string }>(
      `select distinct a.worker from outbox_attempt a join outbox_delivery d on d.id = a.delivery_id
        where d.queue = 'webhook'`,
    );
    expect(owners.length).toBe(2);
    for (const { id } of eps)
      await admin(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { errors { code } } }`, { id });
  }, 60_000);

  it('a worker killed mid-delivery: the survivor sends it again after the lease, same webhook-id, and goes on in order', async () => {
    const { r } = await endpoint();
    await sleep(500);
    let victim: DocketProcess | undefined;
    const from = await lastSeq();
    let killedSeq = 0;
    r.answer = async (w, n) => {
      if (victim || n !== 2) return { status: 200 };
      killedSeq = w.body.data.seq;
      const [row] = await s.sql<{ lease_owner: string }>(
        `select lease_owner from outbox_delivery where queue = 'webhook' and event_seq = $1 and status = 'SENDING'`,
        [w.body.data.seq],
      );
      victim = workers.find((x) => row?.lease_owner?.endsWith(`:${x.proc.pid}`));
      victim?.proc.kill('SIGKILL');
      await new Promise((done) => victim?.proc.once('exit', done));
      // The receiver has it; the worker that sent it never hears so.
      return { status: 200 };
    };
    for (let i = 0; i < 3; i++) await partnerTicket(`Kill ${i}`);
    const expected = await logSeqs(from);
    await r.waitFor((got) => new Set(got.map((w) => w.id)).size >= expected.length, 40_000);
    await sleep(1000);
    expect(victim).toBeDefined();
    expect(r.seqs()).toEqual(expected);
    const ids = r.received.map((w) => w.id);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(killedSeq).toBe(expected[1]);
    expect(repeated).toEqual([r.received.find((w) => w.body.data.seq === killedSeq)!.id]);
    // In arrival order: the first, the second, the second again (same webhook-id), the rest.
    expect(r.received.map((w) => w.body.data.seq)).toEqual([...expected.slice(0, 2), ...expected.slice(1)]);
  }, 90_000);
});
