import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { randomUUID } from 'node:crypto';
import { flows } from './support/flows.js';
import { gid, startTestServer, type TestServer } from './support/harness.js';
import { connect, type WsConnection } from './support/ws.js';

/**
 * A schema-driven fuzz test (issue 12 item 1): for every query, mutation and subscription of the live
 * schema (introspected over HTTP, so a new operation is fuzzed the day it exists), fast-check builds
 * variables from the operation's argument types, valid-shaped and hostile alike (NUL and unpaired
 * surrogates, 100 KB strings, negative and huge numbers, deep lists, wrong enum values, bogus ids and
 * cursors, unknown fields, nulls where a value is required), and sends them as every kind of caller.
 * Whatever comes back: no HTTP 5xx, no INTERNAL_SERVER_ERROR, no stack text, and when an error comes
 * back (top-level or in a mutation's payload) nothing was written. Fixed seed, bounded runs.
 */
const SEED = 20261130;
const RUNS = { Query: 6, Mutation: 6, Subscription: 2 } as const;

type Caller = 'admin' | 'agent' | 'requester' | 'partner' | 'anonymous';
const CALLERS: Caller[] = ['admin', 'agent', 'requester', 'partner', 'anonymous'];

const STACK_TEXT = /\bat \S+ \(|\.[cm]?[jt]s:\d+|call stack|node_modules/;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Row counts and positions that any write moves (bookkeeping tables left out: rate limits, keys in use). */
const FINGERPRINT = `select json_build_object(
  'seq', (select coalesce(max(seq), 0) from ticket_event),
  'versions', (select coalesce(sum(version), 0) from ticket),
  'revoked', (select count(*) from api_key where revoked_at is not null),
  ${[
    'api_key',
    'app_user',
    'business_calendar',
    'business_calendar_version',
    'comment',
    'notification_message',
    'notification_template',
    'organization',
    'outbox_delivery',
    'partner',
    'plan',
    'satisfaction_survey',
    'sla_policy',
    'sla_policy_version',
    'team',
    'team_member',
    'ticket',
    'ticket_relation',
    'ticket_sla',
    'ticket_sla_target',
    'ticket_timer',
    'workflow',
    'workflow_version',
  ]
    .map((t) => `'${t}', (select count(*) from ${t})`)
    .join(',\n  ')}) as f`;

interface Pools {
  ids: string[];
  keys: string[];
  emails: string[];
}

const HOSTILE_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  'x'.repeat(100_000),
  '',
  ' ',
  "'; drop table ticket; --",
  '%_\\',
  '{{ 7 * 7 }}{% raw %}',
  'é'.repeat(300),
  '9'.repeat(400),
  'P3D',
  '-PT1S',
  'P99999999Y',
  'Mars/Olympus',
  'Europe/Paris',
  '2026-02-30T25:00:00Z',
  '<script>alert(1)</script>',
];
const BOGUS_IDS = [
  randomUUID(),
  '00000000-0000-4000-8000-000000000000',
  gid('Team', '00000000-0000-4000-8000-000000000000'),
  gid('Ticket', 'not-a-uuid'),
  Buffer.from('Ticket:').toString('base64url'),
  'x',
  '',
  '\u0000',
  'dk_00000000',
];
const BOGUS_CURSORS = [
  b64(['x', '00000000-0000-4000-8000-000000000000']),
  b64([1e308, '2026-01-01T00:00:00.000Z', 'x']),
  b64([3, '0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
  b64({ $gt: '' }),
  b64('2026-01-01T00:00:00Z|x'),
  Buffer.from('2026-01-01T00:00:00.000Z|nope').toString('base64url'),
  '!!!',
];
const INTS = [0, 1, 2, 3, -1, 50, 100, 101, 1440, 2 ** 31 - 1, -(2 ** 31)];
const SAFE_INTS = [...INTS, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
const DATES = [
  '2026-01-01T00:00:00Z',
  '2026-11-30T12:00:00.000Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  'x',
];

type Mode = 'minimal' | 'shaped' | 'malformed';

/**
 * Variables for one argument type. `shaped` (and `minimal`, without optional input fields): every
 * value of the right type (required ones present), with hostile contents (NUL, huge, negative, bogus
 * ids and cursors); `malformed`: wrong types too
 * (nulls where required, wrong enum values, unknown fields, deep lists), refused by coercion or the
 * nesting limit.
 */
function arbitraryFor(
  type: GraphQLInputType,
  name: string,
  pools: Pools,
  mode: Mode,
  depth = 0,
): fc.Arbitrary<unknown> {
  const bad = mode === 'malformed';
  if (isNonNullType(type)) {
    const inner = arbitraryFor(type.ofType, name, pools, mode, depth);
    return bad
      ? fc.oneof({ weight: 6, arbitrary: inner }, { weight: 1, arbitrary: fc.constant(null) })
      : inner;
  }
  const absent = fc.constant(null);
  if (isListType(type)) {
    const items = fc.array(arbitraryFor(type.ofType as GraphQLInputType, name, pools, mode, depth + 1), {
      maxLength: 3,
    });
    // Deep lists: refused by the nesting limit, never a stack overflow.
    return bad
      ? fc.oneof(
          items,
          fc.integer({ min: 30, max: 3000 }).map((n) => nest(n)),
        )
      : items;
  }
  if (isEnumType(type)) {
    const values = fc.constantFrom(...type.getValues().map((v) => v.name));
    return bad ? fc.oneof(values, fc.constantFrom('NOT_A_VALUE', 'low', '\u0000', 1)) : values;
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return absent;
    // Minimal: only the required fields, so a hostile value is not refused for another field first.
    const fields = Object.values(type.getFields()).filter((f) => mode !== 'minimal' || isNonNullType(f.type));
    const model = Object.fromEntries(
      fields.map((f) => [f.name, arbitraryFor(f.type, f.name, pools, mode, depth + 1)]),
    );
    const record = fc.record(model, {
      requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
    });
    return bad
      ? fc.oneof(
          record,
          record.map((v) => ({ ...v, notAField: 1 })),
        )
      : record;
  }
  if (!isScalarType(type)) return absent;
  const hostile = fc.constantFrom(...HOSTILE_STRINGS);
  switch (type.name) {
    case 'ID':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...pools.ids) },
        { weight: 3, arbitrary: fc.constantFrom(...BOGUS_IDS) },
        { weight: 1, arbitrary: hostile },
      );
    case 'String': {
      const good =
        name === 'after'
          ? fc.constantFrom(...BOGUS_CURSORS)
          : /email/i.test(name)
            ? fc.constantFrom(...pools.emails, 'new@example.com', 'not an email')
            : fc.oneof(fc.constantFrom(...pools.keys), fc.string({ maxLength: 12 }));
      // Mostly one hostile string among good ones, so it gets past the other checks to the database.
      return fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: hostile });
    }
    case 'Int':
      return bad ? fc.constantFrom('1', 1.5, 2 ** 40) : fc.constantFrom(...INTS);
    case 'SafeInt':
      return bad ? fc.constantFrom(2 ** 60, -0.5, 'x') : fc.constantFrom(...SAFE_INTS);
    case 'Float':
      return bad ? fc.constant('x') : fc.constantFrom(0, 0.5, -1, 1e308, -1e308, 100);
    case 'Boolean':
      return bad ? fc.constantFrom('true', 0) : fc.boolean();
    case 'DateTimeISO':
      return fc.constantFrom(...DATES);
    case 'JSONObject':
      return fc.oneof(
        fc.dictionary(
          fc.constantFrom('a', '\u0000', 'key', '$where'),
          fc.constantFrom(...HOSTILE_STRINGS, 1, null),
        ),
        fc.constant({ deep: nest(100) }),
      );
    default:
      return fc.oneof(hostile, fc.constantFrom(...INTS));
  }
}

const nest = (n: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

/** `{ __typename }` for an object (and a payload's `errors { code }`), nothing for a scalar. */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (!isObjectType(type) && !('getTypes' in type) && !('resolveType' in type)) return '';
  const errors = isObjectType(type) && 'errors' in type.getFields() ? ' errors { code }' : '';
  return ` { __typename${errors} }`;
}

function operationOf(root: 'Query' | 'Mutation' | 'Subscription', field: GraphQLField<unknown, unknown>) {
  const keyword = root.toLowerCase();
  const defs = field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${keyword} Fuzz${defs ? `(${defs})` : ''} { ${field.name}${args ? `(${args})` : ''}${selectionOf(field)} }`;
}

/**
 * The variables object for a field: minimal (required arguments and fields only) or valid-shaped
 * (optional ones too) four times in five, malformed otherwise.
 */
function variablesFor(
  field: GraphQLField<unknown, unknown>,
  pools: Pools,
): fc.Arbitrary<Record<string, unknown>> {
  const required = field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name);
  const of = (mode: Mode) =>
    fc.record(
      Object.fromEntries(
        field.args
          .filter((a) => mode !== 'minimal' || isNonNullType(a.type))
          .map((a) => [a.name, arbitraryFor(a.type, a.name, pools, mode)]),
      ),
      { requiredKeys: required },
    ) as fc.Arbitrary<Record<string, unknown>>;
  return fc.oneof(
    { weight: 2, arbitrary: of('minimal') },
    { weight: 2, arbitrary: of('shaped') },
    { weight: 1, arbitrary: of('malformed') },
  );
}

describe('schema-driven fuzz', () => {
  let s: TestServer;
  let schema: GraphQLSchema;
  const credentials = new Map<Caller, string | undefined>();
  const sockets = new Map<Caller, WsConnection>();
  const pools: Pools = { ids: [], keys: [], emails: [] };

  beforeAll(async () => {
    s = await startTestServer();
    const f = flows(s);
    credentials.set('admin', await f.token('admin@docket.local'));
    credentials.set('agent', await f.token('alice@docket.local'));
    credentials.set('requester', await f.token('rita@acme.example'));
    credentials.set('anonymous', undefined);
    const admin = credentials.get('admin');
    const partner = await s.gql<{ createPartner: { partner: { id: string } } }, unknown>(
      'mutation { createPartner(input: { name: "Fuzz" }) { partner { id } } }',
      {},
      admin,
    );
    const partnerId = partner.data!.createPartner.partner.id;
    const key = async (name: string) =>
      (
        await s.gql<{ createApiKey: { key: string; apiKey: { id: string } } }, unknown>(
          'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }',
          {
            input: {
              partnerId,
              name,
              scopes: ['TICKETS_READ', 'TICKETS_WRITE', 'COMMENTS_WRITE', 'EVENTS_SUBSCRIBE'],
            },
          },
          admin,
        )
      ).data!.createApiKey;
    credentials.set('partner', (await key('fuzzer')).key);
    const decoy = await key('decoy'); // revoked and rotated by the fuzzer, not the one it uses
    const t = await f.create('rita@acme.example', { subject: 'Fuzz me', description: 'please' });
    await f.comment('alice@docket.local', { ticketId: t.id, body: 'A note', internal: true });
    // Real ids and keys, so valid-shaped variables reach the use cases and not only the parsers.
    const known = await s.gql<
      {
        tickets: {
          edges: {
            node: { id: string; reference: string; comments: { edges: { node: { id: string } }[] } };
          }[];
        };
        agents: { id: string; email: string }[];
        teams: { id: string }[];
        workflows: { key: string }[];
        slaPolicies: { key: string }[];
        businessCalendars: { key: string }[];
        notificationTemplates: { key: string }[];
        viewer: { id: string };
      },
      unknown
    >(
      `{ tickets(first: 5) { edges { node { id reference comments { edges { node { id } } } } } }
         agents { id email } teams { id } workflows { key } slaPolicies { key } businessCalendars { key }
         notificationTemplates { key } viewer { id } }`,
      {},
      admin,
    );
    expect(known.errors).toBeUndefined();
    const d = known.data!;
    pools.ids.push(
      ...d.tickets.edges.flatMap((e) => [e.node.id, ...e.node.comments.edges.map((c) => c.node.id)]),
      ...d.agents.map((a) => a.id),
      ...d.teams.map((x) => x.id),
      d.viewer.id,
      partnerId,
      decoy.apiKey.id,
    );
    pools.keys.push(
      ...d.tickets.edges.map((e) => e.node.reference),
      ...d.workflows.map((w) => w.key),
      ...d.slaPolicies.map((p) => p.key),
      ...d.businessCalendars.map((c) => c.key),
      ...d.notificationTemplates.map((n) => n.key),
      'open',
      'pending',
      'solved',
    );
    pools.emails.push(...d.agents.map((a) => a.email), 'rita@acme.example');
    const intro = await s.gql<IntrospectionQuery, unknown>(getIntrospectionQuery(), {}, admin);
    schema = buildClientSchema(intro.data!);
    for (const caller of CALLERS)
      if (caller !== 'anonymous') sockets.set(caller, connect(s.url, credentials.get(caller)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...sockets.values()].map((c) => c.dispose()));
    await s.close();
  });

  const fingerprint = async () => JSON.stringify((await s.sql<{ f: unknown }>(FINGERPRINT))[0]!.f);

  /** One HTTP request; what is wrong with its answer, if anything. */
  async function overHttp(caller: Caller, query: string, variables: Record<string, unknown>) {
    const before = await fingerprint();
    const token = credentials.get(caller);
    const res = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    const problems: string[] = [];
    if (res.status >= 500) problems.push(`HTTP ${res.status}`);
    if (STACK_TEXT.test(text)) problems.push('stack text');
    let body: {
      data?: Record<string, { errors?: unknown[] } | null>;
      errors?: { extensions?: { code?: string } }[];
    };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return [...problems, `not JSON: ${text.slice(0, 200)}`];
    }
    if (body.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
      problems.push('INTERNAL_SERVER_ERROR');
    const payloadErrors = Object.values(body.data ?? {}).some(
      (v) => v && Array.isArray(v.errors) && v.errors.length,
    );
    if ((body.errors?.length || payloadErrors) && (await fingerprint()) !== before)
      problems.push('an error came back, yet something was written');
    return problems.length ? [...problems, text.slice(0, 300)] : [];
  }

  /** One subscribe on the caller's open connection: the first answer (or none within 150 ms). */
  async function overWebSocket(caller: Caller, query: string, variables: Record<string, unknown>) {
    const c = sockets.get(caller);
    if (!c) return []; // anonymous: no connection is ever accepted (test/access.test.ts)
    const sub = c.subscribe(query, variables);
    const closed = await Promise.race([
      c.closed.then((e) => `closed ${e.code} ${e.reason}`),
      sub.ended.then(() => ''),
      new Promise<string>((r) => setTimeout(() => r(''), 150)),
    ]);
    sub.unsubscribe();
    const text = JSON.stringify(sub.results);
    const problems: string[] = [];
    if (closed) problems.push(closed);
    if (STACK_TEXT.test(text)) problems.push('stack text');
    if (/INTERNAL_SERVER_ERROR/.test(text)) problems.push('INTERNAL_SERVER_ERROR');
    return problems.length ? [...problems, text.slice(0, 300)] : [];
  }

  it('every operation, every caller, valid-shaped and hostile variables: no 5xx, no internal error, no stack, no write on error', async () => {
    const failures: string[] = [];
    let runs = 0; // each operation and caller its own fixed seed
    for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
      const type =
        root === 'Query'
          ? schema.getQueryType()
          : root === 'Mutation'
            ? schema.getMutationType()
            : schema.getSubscriptionType();
      for (const field of Object.values(type!.getFields())) {
        const query = operationOf(root, field);
        for (const caller of CALLERS) {
          const result = await fc.check(
            fc.asyncProperty(variablesFor(field, pools), async (variables) => {
              const problems =
                root === 'Subscription'
                  ? await overWebSocket(caller, query, variables)
                  : await overHttp(caller, query, variables);
              return problems.length === 0;
            }),
            { seed: SEED + runs++, numRuns: RUNS[root], endOnFailure: true },
          );
          if (result.failed) {
            const variables = JSON.stringify(result.counterexample?.[0]).slice(0, 400);
            const again =
              root === 'Subscription'
                ? await overWebSocket(caller, query, result.counterexample![0])
                : await overHttp(caller, query, result.counterexample![0]);
            failures.push(`${root}.${field.name} as ${caller} with ${variables}: ${again.join('; ')}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it('covers every operation of the schema', () => {
    const names = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap(
      (t) => Object.keys(t!.getFields()),
    );
    expect(names.length).toBeGreaterThan(40);
    expect(getNullableType(schema.getQueryType()!.getFields().tickets!.type)).toBeDefined();
  });
});
