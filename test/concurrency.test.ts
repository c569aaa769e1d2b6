import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TransitionTicketDocument } from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';

describe('concurrency', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('N concurrent transitions with the same expectedVersion: one wins, the rest get STALE_VERSION, one history entry', async () => {
    const t = await f.create('rita@acme.example', { subject: 'Race' });
    const token = await f.token('alice@docket.local');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        s.gql(
          TransitionTicketDocument,
          { input: { ticketId: t.id, to: 'pending', expectedVersion: t.version } },
          token,
        ),
      ),
    );
    const payloads = results.map((r) => r.data!.transitionTicket);
    expect(payloads.filter((p) => p.errors.length === 0)).toHaveLength(1);
    const stale = payloads.filter((p) => p.errors.length > 0);
    expect(stale).toHaveLength(7);
    for (const p of stale) {
      expect(p.ticket).toBeNull();
      expect(p.errors).toMatchObject([
        {
          __typename: 'StaleVersionUserError',
          code: 'STALE_VERSION',
          expectedVersion: t.version,
          currentVersion: t.version + 1,
        },
      ]);
    }
    const history = (await f.get('alice@docket.local', t.id))!.transitions;
    expect(history.filter((h) => h.to.key === 'pending')).toHaveLength(1);
  });

  it('event sequence order equals commit order under concurrent writers', async () => {
    // A reader polls the log while many writers commit; a reader that sees seq N must already see every
    // seq below N (no event commits later with a smaller number), and the log ends up gapless.
    const url = s.orm.config.get('clientUrl')!;
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    const [{ start }] = await s.sql<{ start: string }>(
      'select coalesce(max(seq), 0) as start from ticket_event',
    );
    let writing = true;
    const violations: string[] = [];
    const poll = (async () => {
      while (writing) {
        const { rows } = await reader.query<{ seq: string }>(
          'select seq from ticket_event where seq > $1 order by seq',
          [start],
        );
        const seqs = rows.map((r) => Number(r.seq));
        seqs.forEach((seq, i) => {
          if (seq !== Number(start) + i + 1) violations.push(`saw ${seqs.join(',')}`);
        });
      }
    })();
    const writers = Array.from({ length: 40 }, (_, i) =>
      f.create(i % 2 ? 'rita@acme.example' : 'sam@acme.example', { subject: `Concurrent ${i}` }),
    );
    await Promise.all(writers);
    writing = false;
    await poll;
    await reader.end();
    expect(violations.slice(0, 3)).toEqual([]);
    const rows = await s.sql<{ seq: string }>('select seq from ticket_event where seq > $1 order by seq', [
      start,
    ]);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => Number(start) + i + 1));
    expect(rows.length).toBeGreaterThanOrEqual(80); // created + assigned per ticket
  });

  it('a rolled-back change gives its sequence numbers back: no gap', async () => {
    const before = await s.sql<{ last_seq: string }>('select last_seq from event_sequence');
    const token = await f.token('alice@docket.local');
    const t = await f.create('rita@acme.example', { subject: 'Gapless' });
    const bad = await s.gql(
      TransitionTicketDocument,
      { input: { ticketId: t.id, to: 'closed', expectedVersion: t.version } },
      token,
    );
    expect(bad.data!.transitionTicket.errors).toMatchObject([{ code: 'REASON_REQUIRED' }]);
    const after = await s.sql<{ last_seq: string; n: string }>(
      'select last_seq, (select count(*) from ticket_event) as n from event_sequence',
    );
    expect(Number(after[0].last_seq)).toBe(Number(after[0].n));
    expect(Number(after[0].last_seq)).toBeGreaterThan(Number(before[0].last_seq));
  });
});
