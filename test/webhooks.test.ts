import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { SYSTEM_ACTOR } from '../src/access/actor.js';
import { appendEvents } from '../src/events/event-log.js';
import { TicketEventType } from '../src/events/event-types.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Webhooks end to end: a real Docket server with the real scheduler, real HTTP receivers in this
 * process that verify every signature with the `standardwebhooks` package, and the event log as the
 * truth the receivers are compared with.
 */
const ADMIN = 'admin@docket.local';
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Obj = Record<string, unknown>;
const ENDPOINT_FIELDS = `id partnerId url description enabled disabledReason position failingSince
  filter { types ticketIds priorities }`;

describe('webhooks', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const receivers: WebhookReceiver[] = [];
  let partnerId = '';
  let key = '';
  let otherPartnerId = '';
  let otherKey = '';

  const gqlAs = async (token: string, query: string, variables?: Obj) => {
    const res = await s.gql<Obj, unknown>(query, variables, token);
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0] as Obj;
  };
  const admin = async (query: string, variables?: Obj) => gqlAs(await f.token(ADMIN), query, variables);
  const newKey = async (partner: string, scopes: string[]) => {
    const made = await admin(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key errors { code } } }`,
      { input: { partnerId: partner, name: 'prod', scopes } },
    );
    return made.key as string;
  };
  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };
  const createEndpoint = async (token: string, input: Obj) => {
    const made = await gqlAs(
      token,
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
         endpoint { ${ENDPOINT_FIELDS} } secret errors { code field message } } }`,
      { input },
    );
    return made as { endpoint: Obj & { id: string }; secret: string; errors: Obj[] };
  };
  /** An endpoint of the partner, with a receiver that knows its secret. */
  const endpointWithReceiver = async (filter?: Obj) => {
    const r = await receiver();
    const made = await createEndpoint(key, { url: r.url, filter });
    expect(made.errors).toEqual([]);
    r.secrets = [made.secret];
    return { r, id: made.endpoint.id };
  };
  const partnerTicket = async (subject: string, k = key) => {
    const res = await gqlAs(
      k,
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id reference } errors { code message } } }`,
      {
        input: {
          subject,
          description: 'From the marketplace',
          channel: 'API',
          requesterEmail: 'sofia@globex.example',
        },
      },
    );
    expect(res.errors).toEqual([]);
    return res.ticket as { id: string; reference: string };
  };
  /** The partner's events of the log after `after` (the export as GraphQL), as seqs. */
  const logSeqs = async (after: number, k = key, types?: string[]) => {
    const out: number[] = [];
    let cursor = after;
    for (;;) {
      const page = await gqlAs(
        k,
        `query($after: SafeInt, $filter: TicketEventFilter) { eventLog(after: $after, first: 100, filter: $filter) {
           edges { cursor node { seq type ticketId } } pageInfo { hasNextPage endSeq } } }`,
        { after: cursor, filter: types ? { types } : undefined },
      );
      const edges = page.edges as { node: { seq: number } }[];
      out.push(...edges.map((e) => e.node.seq));
      const info = page.pageInfo as { hasNextPage: boolean; endSeq: number };
      cursor = info.endSeq;
      if (!info.hasNextPage) return out;
    }
  };
  const lastSeq = async () =>
    Number((await s.sql<{ last_seq: string }>('select last_seq from event_sequence'))[0]!.last_seq);

  beforeAll(async () => {
    s = await startTestServer({
      scheduler: 'process',
      webhooks: true,
      env: { WEBHOOK_TIMEOUT_MS: '4000', WEBHOOK_RETRY_MS: '100', WEBHOOK_RETRY_MAX_MS: '600' },
    });
    f = flows(s);
    const p = await admin(`mutation { createPartner(input: { name: "TGX" }) { partner { id } } }`);
    partnerId = (p.partner as { id: string }).id;
    const o = await admin(`mutation { createPartner(input: { name: "Other" }) { partner { id } } }`);
    otherPartnerId = (o.partner as { id: string }).id;
    const all = [
      'TICKETS_READ',
      'TICKETS_WRITE',
      'COMMENTS_WRITE',
      'EVENTS_SUBSCRIBE',
      'WEBHOOKS_MANAGE',
      'IMPORT',
    ];
    key = await newKey(partnerId, all);
    otherKey = await newKey(otherPartnerId, all);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await Promise.all(receivers.map((r) => r.down()));
  });

  it('endpoints: admins for any partner, a partner key with webhooks:manage for its own; the secret is shown once', async () => {
    const r = await receiver();
    const made = await createEndpoint(await f.token(ADMIN), {
      partnerId,
      url: r.url,
      description: 'CRM sync',
      filter: { types: ['STATUS_CHANGED'], priorities: ['HIGH'] },
    });
    expect(made.errors).toEqual([]);
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(made.endpoint).toMatchObject({
      partnerId,
      url: r.url,
      description: 'CRM sync',
      enabled: true,
      filter: { types: ['STATUS_CHANGED'], priorities: ['HIGH'], ticketIds: null },
    });
    const listed = await gqlAs(key, `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`);
    expect(JSON.stringify(listed)).not.toContain(made.secret);
    // Another partner neither sees nor changes it.
    expect(await gqlAs(otherKey, `{ webhookEndpoints { id } }`)).toEqual([]);
    const foreign = await gqlAs(
      otherKey,
      `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { errors { code } } }`,
      { input: { id: made.endpoint.id, enabled: false } },
    );
    expect(foreign.errors).toEqual([{ code: 'NOT_FOUND' }]);
    // Without the scope: refused.
    const readOnly = await newKey(partnerId, ['TICKETS_READ']);
    const refused = await s.gql(`{ webhookEndpoints { id } }`, {}, readOnly);
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_PERMITTED');
    // Agents may not manage them; bad input changes nothing.
    const agent = await s.gql(`{ webhookEndpoints { id } }`, {}, await f.token(AGENT));
    expect(agent.errors?.[0]?.extensions?.code).toBe('NOT_PERMITTED');
    const bad = await createEndpoint(key, { url: 'ftp://example.com/x', filter: { types: [] } });
    expect(bad.errors.map((e) => e.field).sort()).toEqual(['filter.types', 'url']);
    expect(bad.endpoint).toBeNull();
    const count = await s.sql<{ n: string }>('select count(*) as n from webhook_endpoint');
    expect(Number(count[0]!.n)).toBe(1);
    await gqlAs(key, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { errors { code } } }`, {
      id: made.endpoint.id,
    });
  });

  it('delivers the partner’s events in order, signed per Standard Webhooks; never another partner’s, never internal notes', async () => {
    const { r, id } = await endpointWithReceiver();
    const from = await lastSeq();
    const t = await partnerTicket('Order 1001 never arrived');
    await f.comment(AGENT, { ticketId: t.id, body: 'SECRET internal note', internal: true });
    await f.comment(AGENT, { ticketId: t.id, body: 'We are on it' });
    await partnerTicket('Not ours', otherKey);
    const expected = await logSeqs(from);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    await r.waitFor((got) => new Set(got.map((w) => w.id)).size >= expected.length);
    await sleep(300);
    expect(r.seqs()).toEqual(expected);
    expect(r.rejected).toBe(0);
    expect(r.raw()).not.toContain('SECRET');
    const first = r.distinct()[0]!;
    expect(first.body).toMatchObject({
      type: 'TICKET_CREATED',
      payloadVersion: 1,
      data: { seq: expected[0], type: 'TICKET_CREATED', ticketId: t.id, actorKind: 'PARTNER' },
    });
    expect(first.id).toMatch(/^msg_[0-9a-f]{12}_\d+$/);
    expect(Math.abs(first.timestamp - Date.now() / 1000)).toBeLessThan(60);
    // A wrong secret does not verify (the receiver's check can fail).
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(first.raw, {
        'webhook-id': first.id,
        'webhook-timestamp': String(first.timestamp),
        'webhook-signature': first.signature,
      }),
    ).toThrow();
    // Each attempt is in the delivery log: 2xx, latency, the receiver's answer.
    const log = (await gqlAs(
      key,
      `query($id: ID!) { webhookDeliveries(endpointId: $id) { id webhookId eventSeq eventType status
         attempts { attempt outcome statusCode latencyMs responseExcerpt error } } }`,
      { id },
    )) as unknown as { eventSeq: number; status: string; attempts: Obj[] }[];
    expect(log.map((d) => d.eventSeq)).toEqual([...expected].reverse());
    expect(log[0]!.status).toBe('SENT');
    expect(log[0]!.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'SENT', statusCode: 204, error: null }),
    ]);
  }, 30_000);

  it('imported history is never sent (it is not news); what happens to the ticket afterwards is', async () => {
    const { r } = await endpointWithReceiver();
    const from = await lastSeq();
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const imported = await gqlAs(
      key,
      `mutation($input: ImportTicketInput!) { importTicket(input: $input) { created ticket { id } errors { code field message } } }`,
      {
        input: {
          externalId: `old-desk-${from}`,
          createdAt: day(3),
          subject: 'Order 900 never arrived',
          description: 'From the old desk',
          channel: 'API',
          requesterEmail: 'sofia@globex.example',
          comments: [{ at: day(2), body: 'Still waiting', authorKind: 'REQUESTER' }],
        },
      },
    );
    expect(imported.errors).toEqual([]);
    const ticketId = (imported.ticket as { id: string }).id;
    const history = await logSeqs(from);
    expect(history.length).toBeGreaterThanOrEqual(2); // in the log (and the export), marked imported
    await f.comment(AGENT, { ticketId, body: 'Found it in the warehouse' });
    const all = await logSeqs(from);
    const live = all.filter((seq) => !history.includes(seq));
    expect(live.length).toBeGreaterThanOrEqual(1);
    await r.waitFor((got) => got.length >= live.length);
    await sleep(500);
    expect(r.seqs()).toEqual(live);
  }, 30_000);

  it('a rolled-back change sends nothing', async () => {
    const { r } = await endpointWithReceiver();
    const from = await lastSeq();
    const t = await partnerTicket('Rollback');
    await r.waitFor((got) => got.length >= 1);
    await s.orm.em
      .fork()
      .transactional(async (tx) => {
        await appendEvents(tx, [
          {
            ticketId: uuidOf(t.id),
            type: TicketEventType.TICKET_UPDATED,
            actor: SYSTEM_ACTOR,
            payload: { marker: 'ROLLED-BACK' },
            occurredAt: new Date(),
          },
        ]);
        throw new Error('roll back');
      })
      .catch(() => {});
    await f.comment(AGENT, { ticketId: t.id, body: 'after the rollback' });
    const expected = await logSeqs(from);
    await r.waitFor((got) => new Set(got.map((w) => w.id)).size >= expected.length);
    await sleep(300);
    expect(r.raw()).not.toContain('ROLLED-BACK');
    expect(r.seqs()).toEqual(expected);
  }, 20_000);

  it('a receiver that is down, then answers 500, then 429 with Retry-After, then recovers gets every event in order, none missing', async () => {
    const { r, id } = await endpointWithReceiver();
    await r.down();
    const from = await lastSeq();
    const tickets = [];
    for (let i = 0; i < 3; i++) tickets.push(await partnerTicket(`Outage ${i}`));
    for (const t of tickets) await f.comment(AGENT, { ticketId: t.id, body: 'update during the outage' });
    await sleep(800); // refused connections meanwhile
    let retryAfterAt = 0;
    r.answer = (_w, n) => {
      if (n <= 2) return { status: 500, body: 'database on fire' };
      if (n === 3) {
        retryAfterAt = Date.now();
        return { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' };
      }
      return { status: 200 };
    };
    await r.up();
    const expected = await logSeqs(from);
    expect(expected.length).toBeGreaterThanOrEqual(6); // each ticket: created, assigned, moved; a comment
    await r.waitFor((got) => new Set(got.map((w) => w.id)).size >= expected.length, 20_000);
    expect(r.seqs()).toEqual(expected);
    // Retry-After was honoured: the next request came at least a second after the 429.
    const afterThrottle = r.requests[3]!;
    expect(afterThrottle.at - retryAfterAt).toBeGreaterThanOrEqual(950);
    // The first delivery's attempts: refused connections, two 500s, a 429, then 200.
    const [head] = (await gqlAs(
      key,
      `query($id: ID!, $seq: SafeInt) { webhookDeliveries(endpointId: $id, filter: { eventSeq: $seq }) {
         status attempts { outcome statusCode error responseExcerpt } } }`,
      { id, seq: expected[0] },
    )) as unknown as {
      status: string;
      attempts: {
        outcome: string;
        statusCode: number | null;
        error: string | null;
        responseExcerpt: string | null;
      }[];
    }[];
    expect(head!.status).toBe('SENT');
    const codes = head!.attempts.map((a) => a.statusCode);
    expect(codes.slice(-4)).toEqual([500, 500, 429, 200]);
    expect(head!.attempts[0]!.statusCode).toBeNull();
    expect(head!.attempts[0]!.error).toMatch(/ECONNREFUSED|connect/i);
    expect(head!.attempts.at(-2)!.responseExcerpt).toBe('slow down');
    const endpoint = (await gqlAs(key, `{ webhookEndpoints { id failingSince } }`)) as unknown as Obj[];
    expect(endpoint.find((e) => e.id === id)!.failingSince).toBeNull();
  }, 40_000);

  it('redirects are not followed (a redirect to a private address reaches nothing)', async () => {
    const target = await receiver(); // stands for the private address the redirect points at
    const { r, id } = await endpointWithReceiver();
    target.secrets = r.secrets;
    r.answer = () => ({ status: 302, headers: { location: `${target.url}?metadata` } });
    await partnerTicket('Redirect');
    let log: { attempts: { statusCode: number | null; error: string | null }[] }[] = [];
    for (let i = 0; i < 100 && !log.at(-1)?.attempts[0]?.error; i++) {
      await sleep(100);
      log = (await gqlAs(
        key,
        `query($id: ID!) { webhookDeliveries(endpointId: $id) { attempts { statusCode error } } }`,
        { id },
      )) as unknown as typeof log;
    }
    const attempt = log.at(-1)!.attempts[0]!;
    expect(attempt.statusCode).toBe(302);
    expect(attempt.error).toContain('redirects are not followed');
    await sleep(300);
    expect(target.requests).toHaveLength(0);
    await gqlAs(key, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { errors { code } } }`, { id });
  }, 20_000);

  it('a slow endpoint never holds up a fast one', async () => {
    const slow = await endpointWithReceiver();
    const fast = await endpointWithReceiver();
    slow.r.answer = () => ({ status: 200, delayMs: 2500 });
    const started = Date.now();
    await partnerTicket('Slow and fast'); // three events: created, assigned, moved
    await fast.r.waitFor((got) => got.length >= 3, 10_000);
    const fastDone = Date.now() - started;
    expect(slow.r.received.length).toBe(0); // the slow one is still on its first
    expect(fastDone).toBeLessThan(2000);
    await slow.r.waitFor((got) => got.length >= 3, 20_000);
    expect(slow.r.seqs()).toEqual(fast.r.seqs());
  }, 30_000);

  it('410 Gone disables the endpoint at once (admins get an event); enabling it resumes from the refused event, in order', async () => {
    const { r, id } = await endpointWithReceiver();
    const from = await lastSeq();
    r.answer = () => ({ status: 410 });
    const t = await partnerTicket('Gone');
    const staff = await f.token(AGENT);
    let disabled: Obj | undefined;
    for (let i = 0; i < 100 && !disabled; i++) {
      const events = (await gqlAs(staff, `query($id: ID!) { ticket(id: $id) { events { type payload } } }`, {
        id: t.id,
      })) as { events: { type: string; payload: Obj }[] };
      disabled = events.events.find((e) => e.type === 'WEBHOOK_ENDPOINT_DISABLED')?.payload;
      if (!disabled) await sleep(100);
    }
    expect(disabled).toMatchObject({
      endpointId: id,
      partnerId,
      url: r.url,
      reason: expect.stringContaining('410'),
    });
    const [ep] = (
      (await gqlAs(key, `{ webhookEndpoints { id enabled disabledReason } }`)) as unknown as Obj[]
    ).filter((e) => e.id === id);
    expect(ep).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
    // While disabled, nothing is sent; the partner never sees the internal event.
    await f.comment(AGENT, { ticketId: t.id, body: 'while disabled' });
    await sleep(500);
    const tried = r.requests.length;
    expect(r.received).toHaveLength(0);
    r.answer = () => ({ status: 200 });
    const enabled = await gqlAs(
      key,
      `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { endpoint { enabled } errors { code } } }`,
      { input: { id, enabled: true } },
    );
    expect(enabled).toEqual({ endpoint: { enabled: true }, errors: [] });
    const expected = await logSeqs(from);
    await r.waitFor((got) => new Set(got.map((w) => w.id)).size >= expected.length, 10_000);
    expect(tried).toBe(1);
    expect(r.seqs()).toEqual(expected);
    expect(r.raw()).not.toContain('WEBHOOK_ENDPOINT_DISABLED');
  }, 30_000);

  it('replay from a cursor sends exactly the log from there; redelivery sends one again with the same webhook-id', async () => {
    const { r, id } = await endpointWithReceiver();
    const from = await lastSeq();
    for (let i = 0; i < 3; i++) await partnerTicket(`Replay ${i}`);
    const expected = await logSeqs(from);
    await r.waitFor((got) => got.length >= expected.length);
    const mid = expected[2]!;
    r.received.length = 0;
    const replay = await gqlAs(
      key,
      `mutation($id: ID!, $from: SafeInt!) { replayWebhookEndpoint(endpointId: $id, fromSeq: $from) { endpoint { position } errors { code } } }`,
      { id, from: mid },
    );
    expect(replay.errors).toEqual([]);
    const fromMid = await logSeqs(mid - 1);
    await r.waitFor((got) => got.length >= fromMid.length, 10_000);
    await sleep(300);
    expect(r.received.map((w) => w.body.data.seq)).toEqual(fromMid);
    // Redeliver one: the same message identity.
    const [d] = (await gqlAs(
      key,
      `query($id: ID!, $seq: SafeInt) { webhookDeliveries(endpointId: $id, filter: { eventSeq: $seq }) { id webhookId } }`,
      { id, seq: expected[0] },
    )) as unknown as { id: string; webhookId: string }[];
    r.received.length = 0;
    const again = await gqlAs(
      key,
      `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { delivery { status } errors { code } } }`,
      { id: d!.id },
    );
    expect(again.errors).toEqual([]);
    await r.waitFor((got) => got.length >= 1, 10_000);
    expect(r.received[0]!.id).toBe(d!.webhookId);
    // Bad input: a typed error, nothing changes.
    const bad = await gqlAs(
      key,
      `mutation($id: ID!) { replayWebhookEndpoint(endpointId: $id, fromSeq: 0) { errors { code field } } }`,
      { id },
    );
    expect(bad.errors).toEqual([{ code: 'INVALID_INPUT', field: 'fromSeq' }]);
  }, 30_000);

  it('rotation: messages carry a signature by the new and the old secret during the overlap', async () => {
    const { r, id } = await endpointWithReceiver();
    const old = r.secrets[0]!;
    const rotated = await gqlAs(
      key,
      `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { secret errors { code } } }`,
      { input: { id, overlapSeconds: 3600 } },
    );
    const fresh = rotated.secret as string;
    expect(fresh).not.toBe(old);
    await partnerTicket('Rotated');
    await r.waitFor((got) => got.length >= 1);
    const w = r.received[0]!;
    expect(w.signature.split(' ')).toHaveLength(2);
    for (const secret of [old, fresh])
      expect(() =>
        new Webhook(secret).verify(w.raw, {
          'webhook-id': w.id,
          'webhook-timestamp': String(w.timestamp),
          'webhook-signature': w.signature,
        }),
      ).not.toThrow();
  }, 20_000);

  it('the export streams the caller’s events as NDJSON, the same as the eventLog connection', async () => {
    const from = await lastSeq();
    const t = await partnerTicket('Export me');
    await f.comment(AGENT, { ticketId: t.id, body: 'INTERNAL-EXPORT', internal: true });
    await f.comment(AGENT, { ticketId: t.id, body: 'public reply' });
    const res = await fetch(new URL(`/export/events?after=${from}`, s.url), {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const text = await res.text();
    expect(text).not.toContain('"internal":true');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { data: { seq: number } });
    expect(lines.map((l) => l.data.seq)).toEqual(await logSeqs(from));
    expect(Number(res.headers.get('docket-log-position'))).toBeGreaterThanOrEqual(lines.at(-1)!.data.seq);
    // Staff see the internal note too; another partner sees none of it.
    const staff = await fetch(new URL(`/export/events?after=${from}`, s.url), {
      headers: { authorization: `Bearer ${await f.token(AGENT)}` },
    });
    expect(await staff.text()).toContain('"internal":true');
    const other = await fetch(new URL(`/export/events?after=${from}`, s.url), {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect((await other.text()).trim()).toBe('');
    // Bad requests: typed errors.
    expect((await fetch(new URL('/export/events', s.url))).status).toBe(401);
    const bad = await fetch(new URL('/export/events?after=-1', s.url), {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
  }, 20_000);

  it('a partner involved in a ticket it did not open reads it, comments on it and receives its webhooks until removed', async () => {
    const { r } = await endpointWithReceiver();
    // Seed 001: a requester's ticket on the marketplace workflow; an agent involves the partner.
    const t = await f.create(AGENT, {
      subject: 'Seller dispute',
      workflowKey: 'marketplace',
      requesterEmail: 'rita@acme.example',
    });
    const read = await s.gql(`query($id: ID!) { ticket(id: $id) { id } }`, { id: t.id }, key);
    expect(read.data).toEqual({ ticket: null });
    const involved = await gqlAs(
      await f.token(AGENT),
      `mutation($input: InvolvePartnerInput!) { involvePartner(input: $input) { ticket { id } errors { code } } }`,
      { input: { ticketId: t.id, partnerId } },
    );
    expect(involved.errors).toEqual([]);
    const seen = await s.gql(`query($id: ID!) { ticket(id: $id) { subject } }`, { id: t.id }, key);
    expect(seen.data).toEqual({ ticket: { subject: 'Seller dispute' } });
    const commented = await gqlAs(
      key,
      `mutation($input: AddCommentInput!) { addComment(input: $input) { ticket { status { key } } errors { code message } } }`,
      { input: { ticketId: t.id, body: 'The parcel was returned to us', internal: false } },
    );
    expect(commented.errors).toEqual([]);
    await r.waitFor((got) => got.some((w) => w.body.data.type === 'COMMENT_ADDED'));
    expect(r.distinct().map((w) => w.body.data.type)).toEqual(['PARTNER_INVOLVED', 'COMMENT_ADDED']);
    // Removed: no more reading, no more events.
    const removed = await gqlAs(
      await f.token(AGENT),
      `mutation($input: InvolvePartnerInput!) { removeInvolvedPartner(input: $input) { errors { code } } }`,
      { input: { ticketId: t.id, partnerId } },
    );
    expect(removed.errors).toEqual([]);
    await f.comment(AGENT, { ticketId: t.id, body: 'after removal' });
    await sleep(800);
    expect(r.distinct().map((w) => w.body.data.type)).toEqual(['PARTNER_INVOLVED', 'COMMENT_ADDED']);
    const gone = await s.gql(`query($id: ID!) { ticket(id: $id) { id } }`, { id: t.id }, key);
    expect(gone.data).toEqual({ ticket: null });
    // Requesters may not involve partners.
    const refused = await s.gql(
      `mutation($input: InvolvePartnerInput!) { involvePartner(input: $input) { errors { code } } }`,
      { input: { ticketId: t.id, partnerId } },
      await f.token('rita@acme.example'),
    );
    expect(refused.data).toEqual({ involvePartner: { errors: [{ code: 'NOT_PERMITTED' }] } });
  }, 30_000);
});
