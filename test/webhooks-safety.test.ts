import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { startSmtpSink, type SmtpSink } from './support/smtp.js';
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Outbound safety with WEBHOOK_ALLOW_PRIVATE off (the production default): private, loopback and
 * link-local addresses are refused when an endpoint is saved (IP literals) and at connect time (names,
 * resolved by a lookup of this test's own instead of DNS, so "rebind.test" resolves to the loopback
 * address a real receiver listens on: without the guard it would receive the webhook). And the retry
 * window: an endpoint failing for longer than WEBHOOK_RETRY_WINDOW_MS is disabled, admins told.
 */
const ADMIN = 'admin@docket.local';
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Obj = Record<string, unknown>;

const HOSTS: Record<string, string> = {
  'rebind.test': '127.0.0.1',
  'internal.test': '10.0.0.1',
  'metadata.test': '169.254.169.254',
  'mapped.test': '::ffff:127.0.0.1',
};
const lookup = async (hostname: string): Promise<LookupAddress[]> => {
  const address = HOSTS[hostname];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
};

describe('webhook safety', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let r: WebhookReceiver;
  let smtp: SmtpSink;
  let partnerId = '';

  const admin = async (query: string, variables?: Obj) => {
    const res = await s.gql<Obj, unknown>(query, variables, await f.token(ADMIN));
    expect(res.errors).toBeUndefined();
    return Object.values(res.data!)[0] as Obj;
  };
  const create = (url: string) =>
    admin(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
         endpoint { id } secret errors { code field message } } }`,
      { input: { partnerId, url } },
    ) as Promise<{ endpoint: { id: string } | null; secret: string; errors: Obj[] }>;
  const partnerTicket = async (key: string) => {
    const res = await s.gql<Obj, unknown>(
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } errors { code } } }`,
      {
        input: {
          subject: 'Safety',
          description: 'd',
          channel: 'API',
          requesterEmail: 'sofia@globex.example',
        },
      },
      key,
    );
    return (res.data!.createTicket as { ticket: { id: string } }).ticket;
  };
  const deliveries = async (id: string) =>
    (await admin(
      `query($id: ID!) { webhookDeliveries(endpointId: $id) { status attempts { outcome statusCode error } } }`,
      { id },
    )) as unknown as {
      status: string;
      attempts: { outcome: string; statusCode: number | null; error: string }[];
    }[];

  beforeAll(async () => {
    r = await startReceiver();
    smtp = await startSmtpSink();
    s = await startTestServer({
      scheduler: 'process',
      webhooks: true,
      notifications: true,
      lookup,
      env: { WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_RETRY_WINDOW_MS: '1500', SMTP_URL: smtp.url },
    });
    f = flows(s);
    const p = await admin(`mutation { createPartner(input: { name: "TGX" }) { partner { id } } }`);
    partnerId = (p.partner as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await r?.down();
    await smtp?.close();
  });

  it('refuses private, loopback, link-local and metadata addresses when an endpoint is saved', async () => {
    for (const url of [
      `http://127.0.0.1:${r.port}/hook`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/hook',
      'http://[::1]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://localhost/hook',
      'ftp://example.com/hook',
    ]) {
      const made = await create(url);
      expect([url, made.errors.map((e) => e.field)]).toEqual([url, ['url']]);
      expect(made.endpoint).toBeNull();
    }
  });

  it('refuses at connect time a name that resolves to a private address (DNS rebinding), and the receiver there gets nothing', async () => {
    const made = await admin(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`, {
      input: { partnerId, name: 'k', scopes: ['TICKETS_WRITE'] },
    });
    const key = made.key as string;
    const ids: Record<string, string> = {};
    for (const host of Object.keys(HOSTS)) {
      const e = await create(`http://${host}:${r.port}/hook`);
      expect(e.errors).toEqual([]); // a name is accepted when saved: it is checked at every connect
      ids[host] = e.endpoint!.id;
    }
    await partnerTicket(key);
    for (const [host, address] of Object.entries(HOSTS)) {
      let log = await deliveries(ids[host]!);
      for (let i = 0; i < 100 && !log.at(-1)?.attempts[0]?.outcome; i++) {
        await sleep(100);
        log = await deliveries(ids[host]!);
      }
      const attempt = log.at(-1)!.attempts[0]!;
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toContain(`resolves to ${address}`);
      expect(attempt.error).toContain('WEBHOOK_ALLOW_PRIVATE');
    }
    expect(r.requests).toHaveLength(0);
  }, 30_000);

  it('disables an endpoint that keeps failing past the retry window, and tells admins by an event and an email', async () => {
    // Nothing listens there: every attempt is refused.
    const e = await create('http://nowhere.test/hook');
    const id = e.endpoint!.id;
    const key = (
      await admin(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`, {
        input: { partnerId, name: 'k2', scopes: ['TICKETS_WRITE'] },
      })
    ).key as string;
    const t = await partnerTicket(key);
    let ep: Obj | undefined;
    for (let i = 0; i < 100; i++) {
      ep = ((await admin(`{ webhookEndpoints { id enabled disabledReason } }`)) as unknown as Obj[]).find(
        (x) => x.id === id,
      );
      if (!ep?.enabled) break;
      await sleep(100);
    }
    expect(ep).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('kept failing') });
    const log = await deliveries(id);
    expect(log.every((d) => d.status === 'FAILED')).toBe(true);
    expect(log.at(-1)!.attempts.length).toBeGreaterThan(1);
    const events = (await s.gql<Obj, unknown>(
      `query($id: ID!) { ticket(id: $id) { events { type payload } } }`,
      { id: t.id },
      await f.token(AGENT),
    )) as unknown as { data: { ticket: { events: { type: string; payload: Obj }[] } } };
    const disabled = events.data.ticket.events.filter(
      (x) => x.type === 'WEBHOOK_ENDPOINT_DISABLED' && x.payload.endpointId === id,
    );
    expect(disabled).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({ endpointId: id, url: 'http://nowhere.test/hook' }),
      }),
    ]);
    // Every admin gets an email saying which endpoint and how to resume.
    const subject = 'Webhook endpoint disabled: http://nowhere.test/hook';
    await smtp.waitFor(
      (m) => m.some((x) => x.to.includes(ADMIN) && x.subject === subject),
      10_000,
      'the alert',
    );
    const mail = smtp.mails.find((x) => x.to.includes(ADMIN) && x.subject === subject)!;
    expect(mail.parsed.text).toContain('enabled: true');
    expect(smtp.mails.filter((x) => x.subject === subject).every((x) => !x.to.includes(AGENT))).toBe(true);
  }, 30_000);
});
