import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { requestHash } from '../src/server/idempotency.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';

/**
 * Idempotency keys (docs/IDEMPOTENCY.md): a mutation retried with the same `Idempotency-Key` runs once,
 * however many copies arrive and however they overlap; the same key for another request is refused;
 * keys are the caller's own and last a day.
 */
const ADMIN = 'admin@docket.local';
const RITA = 'rita@acme.example';
const SAM = 'sam@acme.example';

const CREATE = `mutation CreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { ticket { id reference subject status { key } } errors { code message } }
}`;

interface Answer {
  status: number;
  replayed: string | null;
  retryAfter: string | null;
  body: {
    data?: {
      createTicket?: { ticket: { id: string; reference: string; subject: string } | null; errors: unknown[] };
    } & Record<string, unknown>;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  text: string;
}

describe('idempotency keys', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  /** The harness's `gql` sends no custom headers: this one sends `Idempotency-Key` (when given). */
  const post = async (
    token: string | undefined,
    key: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<Answer> => {
    const res = await fetch(s.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(key !== undefined ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return {
      status: res.status,
      replayed: res.headers.get('idempotent-replayed'),
      retryAfter: res.headers.get('retry-after'),
      body: JSON.parse(text) as Answer['body'],
      text,
    };
  };
  const ticketInput = (subject: string) => ({
    input: { subject, description: 'Something is wrong', channel: 'PORTAL' },
  });
  const create = async (email: string, key: string | undefined, subject: string) =>
    post(await f.token(email), key, CREATE, ticketInput(subject));
  const ticketOf = (a: Answer) => {
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data!.createTicket!.errors).toEqual([]);
    return a.body.data!.createTicket!.ticket!;
  };
  const ticketsWith = async (subject: string) =>
    Number(
      (await s.sql<{ n: string }>('select count(*) as n from ticket where subject = $1', [subject]))[0]!.n,
    );
  const keyRows = (key: string) =>
    s.sql<{ principal: string; state: string; committed: boolean; created_at: Date; expires_at: Date }>(
      'select principal, state, committed, created_at, expires_at from idempotency_key where key = $1',
      [key],
    );
  const userId = async (email: string) =>
    (await s.sql<{ id: string }>('select id from app_user where email = $1', [email]))[0]!.id;
  const admin = async (query: string, variables?: Record<string, unknown>) => {
    const res = await s.gql<Record<string, Record<string, unknown>>, unknown>(
      query,
      variables,
      await f.token(ADMIN),
    );
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0]!;
  };

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('ten parallel retries of one createTicket: one ticket, ten answers naming it', async () => {
    const key = randomUUID();
    const subject = `Parallel ${key}`;
    const token = await f.token(RITA);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(token, key, CREATE, ticketInput(subject))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const tickets = answers.map(ticketOf);
    expect(new Set(tickets.map((t) => t.id)).size).toBe(1);
    expect(new Set(tickets.map((t) => t.reference)).size).toBe(1);
    expect(tickets[0]!.subject).toBe(subject);
    // One ran; the nine others waited for it and got its answer, word for word.
    expect(answers.filter((a) => a.replayed === null)).toHaveLength(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(9);
    const original = answers.find((a) => a.replayed === null)!;
    for (const a of answers) expect(a.body.data).toEqual(original.body.data);
    expect(await ticketsWith(subject)).toBe(1);
    const events = await s.sql<{ type: string }>('select type from ticket_event where ticket_id = $1', [
      uuidOf(tickets[0]!.id),
    ]);
    expect(events.filter((e) => e.type === 'TICKET_CREATED')).toHaveLength(1);
    expect(await keyRows(key)).toMatchObject([{ principal: `user:${await userId(RITA)}`, state: 'done' }]);
  });

  it('a retry after the first finished gets the stored answer, marked Idempotent-Replayed, and writes nothing', async () => {
    const key = randomUUID();
    const subject = `Retry ${key}`;
    const first = await create(RITA, key, subject);
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    const ticket = ticketOf(first);
    const again = await create(RITA, key, subject);
    expect(again.status).toBe(200);
    expect(again.replayed).toBe('true');
    expect(ticketOf(again)).toEqual(ticket);
    // The same answer, fields in the same order (the stored response is json, not jsonb).
    expect(JSON.stringify(again.body.data)).toBe(JSON.stringify(first.body.data));
    expect(await ticketsWith(subject)).toBe(1);
    // Without a key, the same mutation is a new ticket, as always.
    ticketOf(await create(RITA, undefined, subject));
    expect(await ticketsWith(subject)).toBe(2);
  });

  it('the same key with a different request is refused (422 IDEMPOTENCY_KEY_REUSED) and writes nothing', async () => {
    const key = randomUUID();
    ticketOf(await create(RITA, key, `First ${key}`));
    const other = await create(RITA, key, `Second ${key}`);
    expect(other.status).toBe(422);
    expect(other.body.data).toBeUndefined();
    expect(other.body.errors).toMatchObject([{ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } }]);
    expect(await ticketsWith(`Second ${key}`)).toBe(0);
    // Another selection of the same mutation is another request too.
    const fewer = await post(
      await f.token(RITA),
      key,
      `mutation CreateTicket($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } errors { code } } }`,
      ticketInput(`First ${key}`),
    );
    expect(fewer.status).toBe(422);
    expect(fewer.body.errors).toMatchObject([{ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } }]);
    expect(await ticketsWith(`First ${key}`)).toBe(1);
    // Variables are compared by value: the same input with its fields in another order is the same request.
    const reordered = await post(await f.token(RITA), key, CREATE, {
      input: { channel: 'PORTAL', description: 'Something is wrong', subject: `First ${key}` },
    });
    expect(reordered.status).toBe(200);
    expect(reordered.replayed).toBe('true');
  });

  it('keys are per caller: another user sending the same key gets a ticket of their own', async () => {
    const key = randomUUID();
    const subject = `Shared key ${key}`;
    const [rita, sam] = await Promise.all([create(RITA, key, subject), create(SAM, key, subject)]);
    expect([rita.replayed, sam.replayed]).toEqual([null, null]);
    expect(ticketOf(rita).id).not.toBe(ticketOf(sam).id);
    expect(await ticketsWith(subject)).toBe(2);
    expect((await keyRows(key)).map((r) => r.principal).sort()).toEqual(
      [`user:${await userId(RITA)}`, `user:${await userId(SAM)}`].sort(),
    );
  });

  it('a key expires after 24 hours: the same request then runs again; expired keys are purged as keys are claimed', async () => {
    const key = randomUUID();
    const subject = `Expiry ${key}`;
    const first = ticketOf(await create(RITA, key, subject));
    const [row] = await keyRows(key);
    expect(row!.expires_at.getTime() - row!.created_at.getTime()).toBe(24 * 60 * 60 * 1000);
    // A day and an hour later (moved back in the table), plus some other callers' long-expired keys.
    await s.sql(
      `update idempotency_key set created_at = created_at - interval '25 hours',
         expires_at = expires_at - interval '25 hours' where key = $1`,
      [key],
    );
    await s.sql(
      `insert into idempotency_key (principal, key, request_hash, state, claim, created_at, expires_at)
       select 'user:' || gen_random_uuid(), 'old-' || i, 'x', 'done', gen_random_uuid(),
         now() - interval '3 days', now() - interval '2 days' from generate_series(1, 5) i`,
    );
    const again = await create(RITA, key, subject);
    expect(again.replayed).toBeNull();
    expect(ticketOf(again).id).not.toBe(first.id);
    expect(await ticketsWith(subject)).toBe(2);
    const [fresh] = await keyRows(key);
    expect(fresh).toMatchObject({ state: 'done' });
    expect(fresh!.expires_at.getTime()).toBeGreaterThan(Date.now() + 23 * 60 * 60 * 1000);
    expect(await s.sql(`select 1 from idempotency_key where key like 'old-%'`)).toEqual([]);
    // And the renewed key replays again.
    expect((await create(RITA, key, subject)).replayed).toBe('true');
  });

  it('a query with the header is just a query (even with a malformed key)', async () => {
    const token = await f.token(RITA);
    for (const key of ['query-key', 'not a valid key']) {
      const a = await post(token, key, '{ tickets(first: 1) { totalCount } }');
      expect(a.status).toBe(200);
      expect(a.body.errors).toBeUndefined();
      expect(a.replayed).toBeNull();
      expect(await keyRows(key)).toEqual([]);
    }
  });

  it('a malformed key is refused with 400 BAD_REQUEST and nothing runs', async () => {
    const subject = `Bad key ${randomUUID()}`;
    for (const key of ['has space', 'x'.repeat(256), 'tab\tinside', '']) {
      const a = await create(RITA, key, subject);
      expect([a.status, a.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
      expect(a.body.errors![0]!.message).toMatch(/Idempotency-Key/);
    }
    expect(await ticketsWith(subject)).toBe(0);
    // 255 visible characters are fine.
    const longest = '~'.repeat(250) + randomUUID().slice(0, 5);
    expect((await create(RITA, longest, subject)).status).toBe(200);
    expect(await ticketsWith(subject)).toBe(1);
  });

  it('a partner retrying createTicket (with any of its keys) gets one ticket', async () => {
    const partner = (await admin(
      `mutation { createPartner(input: { name: "Idem" }) { partner { id } errors { code } } }`,
    )) as { partner: { id: string } };
    const newKey = async () => {
      const made = (await admin(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key errors { code } } }`,
        { input: { partnerId: partner.partner.id, name: 'prod', scopes: ['TICKETS_READ', 'TICKETS_WRITE'] } },
      )) as { key: string };
      return made.key;
    };
    const [apiKey, otherApiKey] = [await newKey(), await newKey()];
    const key = `order-${randomUUID()}`;
    const subject = `Partner ${key}`;
    const input = {
      input: {
        subject,
        description: 'From the marketplace',
        channel: 'API',
        requesterEmail: 'sofia@globex.example',
      },
    };
    // A timeout: the partner sends again, twice, while the first is still running.
    const answers = await Promise.all([
      post(apiKey, key, CREATE, input),
      post(apiKey, key, CREATE, input),
      post(apiKey, key, CREATE, input),
    ]);
    const ids = answers.map((a) => ticketOf(a).id);
    expect(new Set(ids).size).toBe(1);
    // Later, with another of its keys (rotation): still the same ticket.
    const later = await post(otherApiKey, key, CREATE, input);
    expect(later.replayed).toBe('true');
    expect(ticketOf(later).id).toBe(ids[0]);
    expect(await ticketsWith(subject)).toBe(1);
    expect(await keyRows(key)).toMatchObject([{ principal: `partner:${uuidOf(partner.partner.id)}` }]);
    // The same key from a person is another caller's key.
    ticketOf(await create(RITA, key, subject));
    expect(await ticketsWith(subject)).toBe(2);
  });

  it('a mutation whose result holds a secret (an API key) refuses a key', async () => {
    const a = await post(
      await f.token(ADMIN),
      randomUUID(),
      `mutation { rotateApiKey(input: { id: "x", graceSeconds: 0 }) { key errors { code } } }`,
    );
    expect([a.status, a.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    expect(a.body.errors![0]!.message).toMatch(/rotateApiKey cannot take an Idempotency-Key/);
  });

  it('a request that never reached its resolver keeps no key; an anonymous caller’s key is ignored', async () => {
    const key = randomUUID();
    const token = await f.token(RITA);
    const invalid = await post(token, key, CREATE, { input: { subject: 'No description' } });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await keyRows(key)).toEqual([]);
    // So the key is free for the request the caller meant.
    const subject = `Fixed ${key}`;
    ticketOf(await post(token, key, CREATE, ticketInput(subject)));
    expect(await ticketsWith(subject)).toBe(1);

    const anonymous = await post(undefined, randomUUID(), CREATE, ticketInput('Anonymous'));
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(
      await s.sql(
        `select 1 from idempotency_key where principal not like 'user:%' and principal not like 'partner:%'`,
      ),
    ).toEqual([]);
  });

  it('a retry while the first is running waits for its answer; a claim that never finishes answers 409, then is taken over once stale', async () => {
    const rita = `user:${await userId(RITA)}`;
    const token = await f.token(RITA);
    const claimRunning = async (key: string, subject: string, age = '0 seconds') =>
      s.sql(
        `insert into idempotency_key (principal, key, request_hash, state, claim, created_at, expires_at)
         values ($1, $2, $3, 'pending', gen_random_uuid(), now() - $4::interval, now() + interval '1 day')`,
        [rita, key, requestHash(undefined, CREATE, ticketInput(subject)), age],
      );

    // "Another request" holds the key; it finishes 300 ms later: the retry waits and returns its answer.
    const key = randomUUID();
    const subject = `Waiting ${key}`;
    await claimRunning(key, subject);
    const stored = {
      data: { createTicket: { ticket: null, errors: [{ code: 'MARKER', message: 'stored' }] } },
    };
    const waiting = post(token, key, CREATE, ticketInput(subject));
    await new Promise((r) => setTimeout(r, 300));
    await s.sql(
      `update idempotency_key set state = 'done', response = $2::json, response_status = 200 where key = $1`,
      [key, JSON.stringify(stored)],
    );
    const waited = await waiting;
    expect(waited.replayed).toBe('true');
    expect(waited.body.data).toEqual(stored.data);
    expect(await ticketsWith(subject)).toBe(0);

    // A claim that stays pending (its process died after committing): 409, retryable, after ~10 s.
    const stuck = randomUUID();
    const stuckSubject = `Stuck ${stuck}`;
    await claimRunning(stuck, stuckSubject, '30 seconds');
    const started = Date.now();
    const busy = await post(token, stuck, CREATE, ticketInput(stuckSubject));
    expect(Date.now() - started).toBeGreaterThanOrEqual(9000);
    expect([busy.status, busy.retryAfter, busy.body.errors?.[0]?.extensions?.code]).toEqual([
      409,
      '1',
      'IDEMPOTENCY_KEY_IN_PROGRESS',
    ]);
    // A minute after its claim it is presumed dead: the retry takes it over and runs (the documented gap).
    await s.sql(`update idempotency_key set created_at = created_at - interval '1 minute' where key = $1`, [
      stuck,
    ]);
    const takenOver = await post(token, stuck, CREATE, ticketInput(stuckSubject));
    expect(takenOver.replayed).toBeNull();
    ticketOf(takenOver);
    expect(await ticketsWith(stuckSubject)).toBe(1);
    expect(await keyRows(stuck)).toMatchObject([{ state: 'done' }]);
    // A stale claim of a different request is still that request's key.
    const other = randomUUID();
    await claimRunning(other, 'Something else', '2 minutes');
    const refused = await post(token, other, CREATE, ticketInput(`Other ${other}`));
    expect([refused.status, refused.body.errors?.[0]?.extensions?.code]).toEqual([
      422,
      'IDEMPOTENCY_KEY_REUSED',
    ]);
  });

  it('a stale claim whose change committed (its answer lost to an outage) is never run again', async () => {
    const token = await f.token(RITA);
    // The mutation's transaction marks the claim committed: seen from outside, a done key was marked.
    const key = randomUUID();
    const done = await post(token, key, CREATE, ticketInput(`Marked ${key}`));
    ticketOf(done);
    expect(await keyRows(key)).toMatchObject([{ state: 'done', committed: true }]);

    // A claim left pending after its change committed (the answer was never stored), a minute old:
    // the retry is told so, and nothing runs again.
    const lost = randomUUID();
    const subject = `Lost ${lost}`;
    await s.sql(
      `insert into idempotency_key (principal, key, request_hash, state, committed, claim, created_at, expires_at)
       values ($1, $2, $3, 'pending', true, gen_random_uuid(), now() - interval '2 minutes', now() + interval '1 day')`,
      [`user:${await userId(RITA)}`, lost, requestHash(undefined, CREATE, ticketInput(subject))],
    );
    const retry = await post(token, lost, CREATE, ticketInput(subject));
    expect([retry.status, retry.body.errors?.[0]?.extensions?.code]).toEqual([
      409,
      'IDEMPOTENCY_RESPONSE_LOST',
    ]);
    expect(await ticketsWith(subject)).toBe(0);
  });
});
