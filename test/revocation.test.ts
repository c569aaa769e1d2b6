import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { startDocket, type DocketProcess } from './support/processes.js';
import { connect, type WsConnection } from './support/ws.js';

/**
 * Revocation reaches connections that are already open (issue 12 item 3), on every server process:
 * two `docket serve` processes on one database (events and credential changes reach them through the
 * event log and NOTIFY, not the poll), the change made through this test's own server.
 */
const ADMIN = 'admin@docket.local';
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seqs {
  ticketEvents: { seq: number };
}

describe('revocation reaches open connections', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const procs: DocketProcess[] = [];
  const conns: WsConnection[] = [];
  let partnerId = '';

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
    const env = { SCHEDULER: 'off', REALTIME_POLL_MS: '10000' };
    procs.push(
      ...(await Promise.all([
        startDocket('serve', s.databaseUrl, env),
        startDocket('serve', s.databaseUrl, env),
      ])),
    );
    const p = await s.gql<{ createPartner: { partner: { id: string } } }, unknown>(
      'mutation { createPartner(input: { name: "Revoked" }) { partner { id } } }',
      {},
      await f.token(ADMIN),
    );
    partnerId = p.data!.createPartner.partner.id;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.dispose()));
    await Promise.all(procs.map((p) => p.stop()));
    await s?.close();
  });

  const newKey = async (name: string) =>
    (
      await s.gql<{ createApiKey: { key: string; apiKey: { id: string } } }, unknown>(
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }',
        { input: { partnerId, name, scopes: ['TICKETS_WRITE', 'EVENTS_SUBSCRIBE', 'TICKETS_READ'] } },
        await f.token(ADMIN),
      )
    ).data!.createApiKey;

  /** A connection to each server process with `credential`, subscribed to ticketEvents. */
  const onBoth = (credential: string) =>
    procs.map((p) => {
      const c = connect(p.url!, credential);
      conns.push(c);
      return { c, sub: c.subscribe<Seqs, unknown>('subscription { ticketEvents { seq } }') };
    });

  const closedWithin = async (c: WsConnection, ms: number) =>
    Promise.race([c.closed, sleep(ms).then(() => undefined)]);

  it('a revoked key: every process closes its connections with 4403 within 2 s, and delivers no event after the revocation committed', async () => {
    const key = await newKey('revoked');
    const ticket = await s.gql<{ createTicket: { ticket: { id: string } } }, unknown>(
      'mutation { createTicket(input: { subject: "Platform", description: "x", channel: API, requesterEmail: "buyer@example.com", requesterName: "Buyer" }) { ticket { id } } }',
      {},
      key.key,
    );
    const ticketId = ticket.data!.createTicket.ticket.id;
    const both = onBoth(key.key);
    await sleep(500);
    // Changes keep committing on the partner's ticket while the key is revoked.
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await s.gql(
          'mutation($t: ID!) { addComment(input: { ticketId: $t, body: "Still here?" }) { errors { code } } }',
          { t: ticketId },
          await f.token(AGENT),
        );
      }
    })();
    for (const { sub } of both) await sub.take(2, 10_000);
    const revoked = await s.gql<{ revokeApiKey: { errors: unknown[] } }, unknown>(
      'mutation($id: ID!) { revokeApiKey(id: $id) { errors { code } } }',
      { id: key.apiKey.id },
      await f.token(ADMIN),
    );
    expect(revoked.data!.revokeApiKey.errors).toEqual([]);
    const committedAt = Date.now();
    const closes = await Promise.all(both.map(({ c }) => closedWithin(c, 2000)));
    const closedAfter = Date.now() - committedAt;
    await sleep(300);
    writing = false;
    await writer;
    expect(closes.map((x) => x?.code)).toEqual([4403, 4403]);
    expect(closedAfter).toBeLessThan(2000);
    const [{ seq }] = await s.sql<{ seq: string }>(
      'select seq from credential_change where api_key_id = $1 and kind = $2',
      [uuidOf(key.apiKey.id), 'REVOKED'],
    );
    const later = await s.sql<{ n: string }>(
      'select count(*) as n from ticket_event where seq > $1 and ticket_id = $2',
      [seq, uuidOf(ticketId)],
    );
    expect(Number(later[0]!.n)).toBeGreaterThan(0); // events did commit after the revocation…
    for (const { sub } of both) {
      const delivered = sub.results.map((r) => r.data?.ticketEvents.seq ?? 0);
      expect(delivered.length).toBeGreaterThan(0);
      expect(delivered.filter((x) => x > Number(seq))).toEqual([]); // …and none reached the key
    }
    // HTTP refuses it as well, and a new connection is refused.
    expect((await s.gql('{ tickets(first: 1) { totalCount } }', {}, key.key)).status).toBe(401);
    const again = connect(procs[0]!.url!, key.key);
    conns.push(again);
    expect((await again.closed).code).toBe(4403);
  }, 30_000);

  it('a key rotated with grace: its connections close with 4401 when the grace ends, not before', async () => {
    const key = await newKey('rotated');
    const both = onBoth(key.key);
    await sleep(500);
    const rotated = await s.gql<{ rotateApiKey: { errors: unknown[] } }, unknown>(
      'mutation($id: ID!) { rotateApiKey(input: { id: $id, graceSeconds: 2 }) { errors { code } } }',
      { id: key.apiKey.id },
      await f.token(ADMIN),
    );
    expect(rotated.data!.rotateApiKey.errors).toEqual([]);
    const rotatedAt = Date.now();
    expect(await Promise.all(both.map(({ c }) => closedWithin(c, 1000)))).toEqual([undefined, undefined]);
    const closes = await Promise.all(both.map(({ c }) => closedWithin(c, 3500)));
    expect(closes.map((x) => x?.code)).toEqual([4401, 4401]);
    expect(Date.now() - rotatedAt).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  it('a user deactivated (4403) or given another role (4401): every process closes their connections within 2 s', async () => {
    const sam = await f.token('sam@acme.example');
    const hana = await f.token('hana@hooli.example');
    const samBoth = onBoth(sam);
    const hanaBoth = onBoth(hana);
    const alice = onBoth(await f.token(AGENT)); // not affected
    await sleep(500);
    await s.sql("update app_user set deactivated_at = now() where email = 'sam@acme.example'");
    await s.sql("update app_user set role = 'AGENT', tier = 1 where email = 'hana@hooli.example'");
    const [samCloses, hanaCloses, aliceCloses] = await Promise.all([
      Promise.all(samBoth.map(({ c }) => closedWithin(c, 2000))),
      Promise.all(hanaBoth.map(({ c }) => closedWithin(c, 2000))),
      Promise.all(alice.map(({ c }) => closedWithin(c, 300))),
    ]);
    expect(samCloses.map((x) => x?.code)).toEqual([4403, 4403]);
    expect(hanaCloses.map((x) => x?.code)).toEqual([4401, 4401]);
    expect(aliceCloses).toEqual([undefined, undefined]);
    // The deactivated user is refused from now on (HTTP once the 5 s user cache has passed).
    const retry = connect(procs[1]!.url!, sam);
    conns.push(retry);
    expect((await retry.closed).code).toBe(4403);
  }, 30_000);
});
