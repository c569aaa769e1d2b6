import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { claim, enqueue, record, type DeliveryOutcome } from '../src/outbox/delivery-queue.js';
import { LogConsumer } from '../src/outbox/log-consumer.js';
import type { CommitSignal } from '../src/events/commit-signal.js';
import type { FeedEvent } from '../src/events/feed-event.js';
import { createLogger } from '../src/shared/logger.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * The outbox machinery on a real PostgreSQL: a durable log cursor that hands each committed event
 * to its consumer exactly once across restarts and rollbacks, and the delivery queue's claims,
 * leases, back-off, attempts and per-key ordering (what webhooks will use).
 */
const retry = { maxAttempts: 3, baseMs: 1000, maxMs: 10_000 };
const noSignal: CommitSignal = { start: async () => {}, close: async () => {} };
const logger = createLogger('silent');

describe('outbox', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.close());

  it('a log consumer sees every committed event once, in order, across a failed step and a restart', async () => {
    const f = flows(s);
    const seen: number[] = [];
    let failNext = true;
    const consumer = (name: string) =>
      new LogConsumer({
        name,
        em: s.orm.em.fork(),
        signal: noSignal,
        logger,
        pollMs: 60_000,
        batch: 7,
        handle: async (tx, events: FeedEvent[]) => {
          await tx.execute('select 1');
          if (failNext) {
            failNext = false;
            throw new Error('the first step fails: nothing of it may count');
          }
          seen.push(...events.map((e) => e.seq));
        },
      });
    const a = consumer('test-a');
    await a.start(); // starts at the end of the log
    await a.stop();
    const [{ last_seq: from }] = await s.sql<{ last_seq: string }>('select last_seq from event_sequence');
    for (let i = 0; i < 5; i++) await f.create('rita@acme.example', { subject: `c${i}` });
    const [{ last_seq: to }] = await s.sql<{ last_seq: string }>('select last_seq from event_sequence');
    expect(Number(to)).toBeGreaterThan(Number(from) + 7);
    const b = consumer('test-a');
    await expect(b.step()).rejects.toThrow('the first step fails');
    while ((await b.step()) === 'more');
    const expected = Array.from({ length: Number(to) - Number(from) }, (_, i) => Number(from) + 1 + i);
    expect(seen).toEqual(expected);
    // A restart resumes at the cursor: nothing again.
    expect(await consumer('test-a').step()).toBe('done');
    expect(seen).toEqual(expected);
  });

  it('a second process skips a cursor another holds', async () => {
    const em = s.orm.em.fork();
    await em.transactional(async (tx) => {
      await tx.execute('select 1 from event_consumer where name = ? for update', ['test-a']);
      const other = new LogConsumer({
        name: 'test-a',
        em: s.orm.em.fork(),
        signal: noSignal,
        logger,
        pollMs: 60_000,
        handle: async () => {},
      });
      expect(await other.step()).toBe('busy');
    });
  });

  it('a claim skips the rows another worker is claiming, without waiting for it', async () => {
    const now = new Date();
    const ids = await s.orm.em
      .fork()
      .transactional((tx) => enqueue(tx, 'skip', [{}, {}, {}], { now, maxAttempts: 3 }));
    await s.orm.em.fork().transactional(async (tx) => {
      const first = await claim(tx, 'skip', { owner: 'w1', limit: 2, leaseMs: 60_000, now });
      // The first worker has not committed: the second must not wait for it, nor take its rows.
      const second = await Promise.race([
        claim(s.orm.em.fork(), 'skip', { owner: 'w2', limit: 10, leaseMs: 60_000, now }),
        new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 2000)),
      ]);
      expect(second).not.toBe('blocked');
      const all = [...first, ...(second as typeof first)].map((d) => d.id).sort();
      expect(all).toEqual([...ids].sort());
    });
  });

  it('claims are disjoint, leases expire, failures back off, attempts are kept, keys go in order', async () => {
    const em = s.orm.em.fork();
    const now = new Date();
    const ids = await em.transactional((tx) =>
      enqueue(tx, 'test', [{}, {}, { orderingKey: 'k' }, { orderingKey: 'k' }, { orderingKey: 'j' }], {
        now,
        maxAttempts: 3,
      }),
    );
    // Two workers claim at once: no row twice; the second row of key k waits for the first.
    const [w1, w2] = await Promise.all([
      claim(s.orm.em.fork(), 'test', { owner: 'w1', limit: 2, leaseMs: 1000, now }),
      claim(s.orm.em.fork(), 'test', { owner: 'w2', limit: 10, leaseMs: 1000, now }),
    ]);
    const claimed = [...w1, ...w2].map((d) => d.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual([ids[0], ids[1], ids[2], ids[4]].sort());
    expect([...w1, ...w2].every((d) => d.status === 'SENDING' && d.attempts === 1)).toBe(true);
    // Nothing more is due until a lease ends.
    expect(await claim(em, 'test', { owner: 'w3', limit: 10, leaseMs: 1000, now })).toEqual([]);
    const outcome = (id: string): DeliveryOutcome =>
      id === ids[0]
        ? { ok: true, response: '250 ok' }
        : id === ids[1]
          ? { ok: false, permanent: false, error: 'try later', response: '451' }
          : id === ids[2]
            ? { ok: true }
            : { ok: false, permanent: true, error: 'no such user', response: '550' };
    // A worker records only what it holds: w1's outcomes for w2's deliveries are not kept.
    const stray = await record(
      em,
      w2.map((d) => ({ delivery: d, outcome: outcome(d.id) })),
      { owner: 'w1', now, retry, random: () => 0 },
    );
    expect(stray.every((r) => r.status === 'LOST')).toBe(true);
    for (const [owner, mine] of [
      ['w1', w1],
      ['w2', w2],
    ] as const) {
      const results = await record(
        em,
        mine.map((d) => ({ delivery: d, outcome: outcome(d.id) })),
        { owner, now, retry, random: () => 0 },
      );
      expect(results.every((r) => r.status !== 'LOST')).toBe(true);
    }
    const rows = await s.sql<{
      id: string;
      status: string;
      attempts: number;
      next_attempt_at: Date;
      last_response: string;
    }>('select id, status, attempts, next_attempt_at, last_response from outbox_delivery where queue = $1', [
      'test',
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0]!)!.status).toBe('SENT');
    expect(byId.get(ids[1]!)!.status).toBe('QUEUED');
    expect(byId.get(ids[1]!)!.next_attempt_at.getTime()).toBe(now.getTime() + 500);
    expect(byId.get(ids[1]!)!.last_response).toBe('451');
    expect(byId.get(ids[2]!)!.status).toBe('SENT');
    expect(byId.get(ids[4]!)!.status).toBe('FAILED');
    // Key k's second delivery is now at the head; the retry is due after its back-off only.
    const later = new Date(now.getTime() + 600);
    const next = await claim(em, 'test', { owner: 'w1', limit: 10, leaseMs: 1000, now: later });
    expect(next.map((d) => d.id).sort()).toEqual([ids[1], ids[3]].sort());
    expect(next.find((d) => d.id === ids[1])!.attempts).toBe(2);
    // A worker that died: its lease ends and another worker claims the delivery again.
    const afterLease = new Date(later.getTime() + 1001);
    const taken = await claim(em, 'test', { owner: 'w2', limit: 10, leaseMs: 1000, now: afterLease });
    expect(taken.map((d) => d.id).sort()).toEqual([ids[1], ids[3]].sort());
    const attempts = await s.sql<{ attempt: number; worker: string; outcome: string | null }>(
      'select attempt, worker, outcome from outbox_attempt where delivery_id = $1 order by attempt',
      [ids[1]],
    );
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'RETRY'],
      [2, null],
      [3, null],
    ]);
    expect(attempts.slice(1).map((a) => a.worker)).toEqual(['w1', 'w2']);
    // The last attempt fails: attempts are used up.
    const [final] = await record(
      em,
      taken.filter((d) => d.id === ids[1]).map((d) => ({ delivery: d, outcome: outcome(d.id) })),
      { owner: 'w2', now: afterLease, retry },
    );
    expect(final!.status).toBe('FAILED');
  });
});
