import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KEY_PATTERN } from '../src/access/api-keys.js';
import { CloseCodes } from '../src/events/close-codes.js';
import { TicketEventSeqsDocument } from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { ENTRY, startDocket } from './support/processes.js';
import { connect, type WsConnection } from './support/ws.js';

/** The secret part of a key (it may itself contain `_`, so the key is not split on it). */
const secretOf = (key: string) => KEY_PATTERN.exec(key)![2]!;

/**
 * Partner platforms with API keys: created, used, rotated and revoked; a partner reaches only its own
 * tickets, by every path; bad credentials of every kind are refused; secrets never reach the logs.
 */
const ADMIN = 'admin@docket.local';
const AGENT = 'alice@docket.local';
const RITA = 'rita@acme.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

const TICKET_FIELDS = 'id reference subject status { key } partnerVisible: description';

describe('partner API keys', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const conns: WsConnection[] = [];
  let partnerId = '';
  let key = '';
  let keyId = '';

  const asKey = (k: string, query: string, variables?: Record<string, unknown>) => s.gql(query, variables, k);
  const admin = async (query: string, variables?: Record<string, unknown>) => {
    const res = await s.gql<
      Record<string, { errors: { code: string }[] } & Record<string, unknown>>,
      unknown
    >(query, variables, await f.token(ADMIN));
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0]!;
  };
  const newKey = async (scopes: string[], extra: Record<string, unknown> = {}) => {
    const made = await admin(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id prefix scopes } errors { code message } } }`,
      { input: { partnerId, name: 'prod', scopes, ...extra } },
    );
    expect(made.errors).toEqual([]);
    return made as unknown as { key: string; apiKey: { id: string; prefix: string; scopes: string[] } };
  };
  const createTicket = (k: string, input: Record<string, unknown>) =>
    asKey(
      k,
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { ${TICKET_FIELDS} } errors { code message } } }`,
      { input: { description: 'From the marketplace', channel: 'API', ...input } },
    );

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
    const p = await admin(
      `mutation { createPartner(input: { name: "TGX" }) { partner { id name } errors { code } } }`,
    );
    partnerId = (p.partner as { id: string }).id;
    const made = await newKey(['TICKETS_READ', 'TICKETS_WRITE', 'COMMENTS_WRITE', 'EVENTS_SUBSCRIBE']);
    key = made.key;
    keyId = made.apiKey.id;
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.dispose()));
    await s.close();
  });

  it('is shown once, stored only as a hash, listed with its prefix, scopes and last use', async () => {
    expect(key).toMatch(/^dk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    const rows = await s.sql<{ prefix: string; secret_hash: string }>(
      'select prefix, secret_hash from api_key',
    );
    expect(rows.some((r) => key.startsWith(`${r.prefix}_`))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(secretOf(key));
    await asKey(key, '{ tickets(first: 1) { totalCount } }');
    const res = await s.gql<
      { apiKeys: { prefix: string; scopes: string[]; lastUsedAt: string | null }[] },
      unknown
    >(`{ apiKeys { prefix scopes lastUsedAt revokedAt } }`, {}, await f.token(ADMIN));
    const listed = res.data!.apiKeys.find((k) => key.startsWith(k.prefix))!;
    expect(listed.scopes).toEqual(['TICKETS_READ', 'TICKETS_WRITE', 'COMMENTS_WRITE', 'EVENTS_SUBSCRIBE']);
    expect(JSON.stringify(res.data)).not.toContain(secretOf(key));
    await sleep(100); // last-used is written beside the request
    const again = await s.gql<{ apiKeys: { prefix: string; lastUsedAt: string | null }[] }, unknown>(
      `{ apiKeys { prefix lastUsedAt } }`,
      {},
      await f.token(ADMIN),
    );
    expect(again.data!.apiKeys.find((k) => key.startsWith(k.prefix))!.lastUsedAt).toEqual(expect.any(String));
  });

  it('opens tickets for a requester by email (created on first sight), reads and comments on them per the workflow’s partner rule', async () => {
    const res = await createTicket(key, {
      subject: 'Order 1234 never arrived',
      requesterEmail: 'Buyer.New@Globex.example',
      requesterName: 'New Buyer',
    });
    const ticket = (res.data as { createTicket: { ticket: { id: string; reference: string } } }).createTicket
      .ticket;
    expect(ticket.reference).toMatch(/^TCK-/);
    const [buyer] = await s.sql<{ role: string; name: string }>(
      `select role, name from app_user where email = $1`,
      ['buyer.new@globex.example'],
    );
    expect(buyer).toEqual({ role: 'REQUESTER', name: 'New Buyer' });
    // A marketplace ticket (seed 001): an agent waits on the seller; the partner's comment moves it.
    const sofiaTicket = await createTicket(key, {
      subject: 'Seller dispute',
      requesterEmail: 'sofia@globex.example',
    });
    const t = (sofiaTicket.data as { createTicket: { ticket: { id: string; status: { key: string } } } })
      .createTicket.ticket;
    await f.move(AGENT, t.id, 'l1_in_progress');
    await f.move(AGENT, t.id, 'waiting_on_seller');
    const commented = await asKey(
      key,
      `mutation($input: AddCommentInput!) { addComment(input: $input) { ticket { status { key } } comment { authorKind } errors { code } } }`,
      { input: { ticketId: t.id, body: 'The seller answered', internal: false } },
    );
    expect(commented.data).toEqual({
      addComment: {
        ticket: { status: { key: 'waiting_on_support' } },
        comment: { authorKind: 'PARTNER' },
        errors: [],
      },
    });
    // Audit: the event names the partner actor and the key it used.
    const [event] = await s.sql<{ actor_kind: string; api_key_id: string }>(
      `select actor_kind, api_key_id from ticket_event where ticket_id = $1 and type = 'COMMENT_ADDED'`,
      [uuidOf(t.id)],
    );
    expect(event).toEqual({ actor_kind: 'PARTNER', api_key_id: uuidOf(keyId) });
    const read = await asKey(
      key,
      `query($id: ID!) { ticket(id: $id) { events { type actorKind apiKeyId } } }`,
      { id: t.id },
    );
    expect(read.errors).toBeUndefined();
    const audit = await s.gql<{ ticket: { events: { type: string; apiKeyId: string | null }[] } }, unknown>(
      `query($id: ID!) { ticket(id: $id) { events { type apiKeyId } } }`,
      { id: t.id },
      await f.token(AGENT),
    );
    expect(audit.data!.ticket.events.find((e) => e.type === 'COMMENT_ADDED')!.apiKeyId).toBe(keyId);
  });

  it('reaches no other ticket: by id, reference, global id, search, related tickets or subscription', async () => {
    const theirs = await f.create(RITA, { subject: 'Rita private matter' });
    await f.comment(AGENT, { ticketId: theirs.id, body: 'internal secret 91c2', internal: true });
    const mine = await createTicket(key, {
      subject: 'Partner ticket',
      requesterEmail: 'sofia@globex.example',
      relatedTo: undefined,
    });
    const mineId = (mine.data as { createTicket: { ticket: { id: string } } }).createTicket.ticket.id;
    expect((await asKey(key, `query($id: ID!) { ticket(id: $id) { id } }`, { id: theirs.id })).data).toEqual({
      ticket: null,
    });
    expect(
      (await asKey(key, `query($id: ID!) { ticket(id: $id) { id } }`, { id: uuidOf(theirs.id) })).data,
    ).toEqual({
      ticket: null,
    });
    expect(
      (
        await asKey(key, `query($r: String!) { ticketByReference(reference: $r) { id } }`, {
          r: theirs.reference,
        })
      ).data,
    ).toEqual({
      ticketByReference: null,
    });
    expect((await asKey(key, `query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id })).data).toEqual({
      node: null,
    });
    const search = await asKey(
      key,
      `{ tickets(first: 100, filter: { search: "private" }) { totalCount edges { node { id } } } }`,
    );
    expect(search.data).toEqual({ tickets: { totalCount: 0, edges: [] } });
    const all = await asKey(key, `{ tickets(first: 100) { edges { node { id } } } }`);
    const ids = (all.data as { tickets: { edges: { node: { id: string } }[] } }).tickets.edges.map(
      (e) => e.node.id,
    );
    expect(ids).toContain(mineId);
    expect(ids).not.toContain(theirs.id);
    // A follow-up of Rita's ticket cannot be opened through the partner either.
    const followUp = await createTicket(key, {
      subject: 'Sneaky',
      requesterEmail: 'sofia@globex.example',
      relatedTo: { ticketId: theirs.id, kind: 'FOLLOW_UP' },
    });
    expect(
      (followUp.data as { createTicket: { errors: { code: string }[] } }).createTicket.errors,
    ).toMatchObject([{ code: 'NOT_FOUND' }]);
    // Events: only the partner's tickets, never internal ones.
    const c = connect(s.url, key);
    conns.push(c);
    const sub = c.subscribe(TicketEventSeqsDocument, {});
    await sleep(200);
    await f.comment(AGENT, { ticketId: theirs.id, body: 'to Rita' });
    await f.comment(AGENT, { ticketId: mineId, body: 'partner note 55ab', internal: true });
    await f.comment(AGENT, { ticketId: mineId, body: 'to the partner' });
    await sub.take(1);
    await sleep(300);
    expect(sub.results.map((r) => r.data!.ticketEvents.ticketId)).toEqual([mineId]);
  });

  it('may do only what its scopes say, and no staff operation at all', async () => {
    const readOnly = (await newKey(['TICKETS_READ'])).key;
    const refused = await createTicket(readOnly, { subject: 'x', requesterEmail: 'sofia@globex.example' });
    expect(refused.data).toEqual({
      createTicket: { ticket: null, errors: [expect.objectContaining({ code: 'NOT_PERMITTED' })] },
    });
    const c = connect(s.url, readOnly);
    conns.push(c);
    const sub = c.subscribe(TicketEventSeqsDocument, {});
    await sub.ended;
    expect(sub.results[0]!.errors![0]).toMatchObject({ extensions: { code: 'NOT_PERMITTED' } });
    const staffOnly = await asKey(key, `{ slaPolicies { key } }`);
    expect(staffOnly.errors![0]).toMatchObject({ extensions: { code: 'NOT_PERMITTED' } });
  });

  it('refuses wrong, tampered, expired and revoked keys; rotation keeps the old key for its grace only', async () => {
    const code = async (k: string) => {
      const res = await asKey(k, '{ tickets(first: 1) { totalCount } }');
      return [res.status, res.errors?.[0]?.extensions?.code, res.errors?.[0]?.message];
    };
    expect(await code('dk_00000000_' + 'A'.repeat(43))).toEqual([
      401,
      'UNAUTHENTICATED',
      'This API key is not valid',
    ]);
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await code(key.slice(0, -1) + last)).toEqual([
      401,
      'UNAUTHENTICATED',
      'This API key is not valid',
    ]);
    expect(await code('dk_garbage')).toEqual([401, 'UNAUTHENTICATED', 'This API key is not valid']);
    const soon = await newKey(['TICKETS_READ'], { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await code(soon.key))[0]).toBe(200);
    await sleep(1600);
    expect(await code(soon.key)).toEqual([401, 'UNAUTHENTICATED', 'This API key has expired']);

    const old = await newKey(['TICKETS_READ']);
    const rotated = await admin(
      `mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { key apiKey { id } errors { code } } }`,
      { input: { id: old.apiKey.id, graceSeconds: 2 } },
    );
    const fresh = rotated.key as string;
    expect(fresh).not.toBe(old.key);
    expect((await code(fresh))[0]).toBe(200);
    expect((await code(old.key))[0]).toBe(200); // within the grace
    const ws = connect(s.url, old.key);
    conns.push(ws);
    await sleep(2200);
    expect(await code(old.key)).toEqual([401, 'UNAUTHENTICATED', 'This API key has been revoked']);
    // A WebSocket opened with the old key closes when its grace ends.
    expect((await ws.closed).code).toBe(CloseCodes.TOKEN_EXPIRED);

    const revoked = await admin(
      `mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } errors { code } } }`,
      {
        id: rotated.apiKey && (rotated.apiKey as { id: string }).id,
      },
    );
    expect(revoked.errors).toEqual([]);
    expect(await code(fresh)).toEqual([401, 'UNAUTHENTICATED', 'This API key has been revoked']);
    const closed = connect(s.url, fresh);
    conns.push(closed);
    expect((await closed.closed).code).toBe(CloseCodes.TOKEN_INVALID);
  });

  it('`docket apikey` creates, lists, rotates and revokes keys; keys and tokens never reach the logs', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: s.databaseUrl,
      JWT_SECRET: 'test-secret-test-secret-test-secret-1234',
      MIGRATE_ON_START: 'false',
      DEMO_DATA: 'false',
    };
    const cli = (...args: string[]) => run(process.execPath, [ENTRY, 'apikey', ...args], { env });
    const created = await cli(
      'create',
      '--partner',
      'Platform 000',
      '--name',
      'ci',
      '--scopes',
      'tickets:read,events:subscribe',
    );
    const cliKey = created.stdout.trim();
    expect(cliKey).toMatch(/^dk_/);
    expect((await asKey(cliKey, '{ tickets(first: 1) { totalCount } }')).status).toBe(200);
    const listed = (await cli('list', '--partner', 'Platform 000')).stdout;
    expect(listed).toContain(cliKey.slice(0, 11));
    expect(listed).not.toContain(cliKey);
    const prefix = cliKey.slice(0, 11);
    const rotated = (await cli('rotate', prefix)).stdout.trim();
    expect((await asKey(cliKey, '{ tickets(first: 1) { totalCount } }')).status).toBe(401);
    await cli('revoke', rotated.slice(0, 11));
    expect((await asKey(rotated, '{ tickets(first: 1) { totalCount } }')).status).toBe(401);
    await expect(
      cli('create', '--partner', 'X', '--name', 'y', '--scopes', 'admin:all'),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('unknown: admin:all'),
    });

    // A server process logging at debug, used with a key and a token, good and bad.
    const server = await startDocket('serve', s.databaseUrl, { SCHEDULER: 'off', LOG_LEVEL: 'trace' });
    try {
      const token = await f.token(AGENT);
      for (const credential of [key, token, key.slice(0, -2) + 'zz', `${token}x`]) {
        await fetch(server.url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
          body: JSON.stringify({ query: '{ tickets(first: 1) { totalCount } }' }),
        });
      }
      const ws = connect(server.url!, key);
      await sleep(300);
      await ws.dispose();
      await sleep(200);
    } finally {
      await server.stop();
    }
    const log = server.log.join('');
    expect(log).toContain('graphql request');
    for (const secret of [key, secretOf(key), await f.token(AGENT)]) expect(log).not.toContain(secret);
  }, 120_000);
});

describe('a requester reaching for what is not theirs', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('finds no other requester’s ticket by id, reference, global id, search, related tickets or subscription', async () => {
    const rita = await f.token(RITA);
    const mine = await f.create(RITA, { subject: 'Rita’s invoice' });
    const sofiaId = (
      await s.sql<{ id: string }>(`select id from app_user where email = 'sofia@globex.example'`)
    )[0]!.id;
    const theirs = await f.create(AGENT, {
      requesterId: sofiaId,
      subject: 'Sofia confidential',
      relatedTo: { ticketId: mine.id, kind: 'FOLLOW_UP' },
    });
    const q = <T>(query: string, variables?: Record<string, unknown>) =>
      s.gql<T, unknown>(query, variables, rita);
    expect((await q(`query($id: ID!) { ticket(id: $id) { id } }`, { id: theirs.id })).data).toEqual({
      ticket: null,
    });
    expect((await q(`query($id: ID!) { ticket(id: $id) { id } }`, { id: uuidOf(theirs.id) })).data).toEqual({
      ticket: null,
    });
    expect(
      (await q(`query($r: String!) { ticketByReference(reference: $r) { id } }`, { r: theirs.reference }))
        .data,
    ).toEqual({
      ticketByReference: null,
    });
    expect((await q(`query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id })).data).toEqual({
      node: null,
    });
    expect(
      (await q(`{ tickets(first: 50, filter: { search: "confidential" }) { totalCount } }`)).data,
    ).toEqual({
      tickets: { totalCount: 0 },
    });
    const related = await q<{ ticket: { relatedTickets: unknown[] } }>(
      `query($id: ID!) { ticket(id: $id) { relatedTickets { kind ticket { id subject } } } }`,
      { id: mine.id },
    );
    expect(related.data!.ticket.relatedTickets).toEqual([]);
    // Nor can she comment on it, move it or open a follow-up of it.
    const comment = await q<{ addComment: { errors: { code: string }[] } }>(
      `mutation($id: ID!) { addComment(input: { ticketId: $id, body: "hi" }) { errors { code } } }`,
      { id: theirs.id },
    );
    expect(comment.data!.addComment.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    const follow = await q<{ createTicket: { errors: { code: string }[] } }>(
      `mutation($id: ID!) { createTicket(input: { subject: "x", description: "x", channel: PORTAL, relatedTo: { ticketId: $id, kind: FOLLOW_UP } }) { errors { code } } }`,
      { id: theirs.id },
    );
    expect(follow.data!.createTicket.errors).toMatchObject([{ code: 'NOT_FOUND' }]);
    const c = connect(s.url, rita);
    const sub = c.subscribe(TicketEventSeqsDocument, { filter: { ticketIds: [theirs.id] } });
    await sleep(200);
    await f.comment(AGENT, { ticketId: theirs.id, body: 'to Sofia' });
    await sleep(400);
    expect(sub.results).toEqual([]);
    await c.dispose();
  });

  it('never sees an internal note: not in comments, counts, history, node, or a subscription', async () => {
    const SECRET = 'internal-a81f';
    const rita = await f.token(RITA);
    const t = await f.create(RITA, { subject: 'Notes' });
    const c = connect(s.url, rita);
    const sub = c.subscribe(
      `subscription { ticketEvents { seq type payload ticket { commentCount comments(first: 50) { edges { node { body internal } } } } } }`,
    );
    await sleep(200);
    const note = await f.comment(AGENT, { ticketId: t.id, body: SECRET, internal: true });
    await f.comment(AGENT, { ticketId: t.id, body: 'public answer' });
    await sub.take(1);
    await sleep(300);
    const view = await s.gql<
      {
        ticket: {
          commentCount: number;
          comments: { edges: { node: { body: string } }[] };
          events: { type: string }[];
        };
      },
      unknown
    >(
      `query($id: ID!) { ticket(id: $id) { commentCount comments(first: 50) { edges { node { body } } } events { type payload } } }`,
      { id: t.id },
      rita,
    );
    expect(view.data!.ticket.commentCount).toBe(1);
    expect(view.data!.ticket.comments.edges.map((e) => e.node.body)).toEqual(['public answer']);
    const byNode = await s.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: note.comment!.id }, rita);
    expect(byNode.data).toEqual({ node: null });
    expect(JSON.stringify(view.data)).not.toContain(SECRET);
    expect(JSON.stringify(sub.results)).not.toContain(SECRET);
    expect(sub.results.every((r) => !r.errors)).toBe(true);
    await c.dispose();
  });
});
