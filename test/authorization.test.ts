import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getNamedType, isObjectType, type GraphQLInterfaceType } from 'graphql';
import { SCOPES } from '../src/access/actor.js';
import { NODE_READ_OPERATION, OPERATIONS } from '../src/access/policy.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { PRESETS } from '../src/workflow/presets/index.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { connect } from './support/ws.js';

/**
 * The authorization matrix: every operation of the schema, run as every kind of caller, against the
 * outcome written below (not derived from src/access/policy.ts, so a change of rights is a deliberate
 * change here too). A new operation fails this suite until it has a sample and an expected row here,
 * and the schema does not build until it has a rule in the policy.
 *
 * Each sample is harmless for whoever may call it (an unknown id, an invalid input): "allowed" means the
 * policy let the call through, whatever the use case then said (NOT_FOUND, INVALID_INPUT, …).
 */
const NOPE = '00000000-0000-4000-8000-000000000000';
const agency = PRESETS.find((p) => p.key === 'agency')!.definition;

type Caller = 'anonymous' | 'requester' | 'agent' | 'admin' | 'partner' | 'partnerOutOfScope';
type Allowed = readonly ('requester' | 'agent' | 'admin' | 'partner')[];
const PEOPLE = ['requester', 'agent', 'admin'] as const;
const PEOPLE_AND_PARTNER = [...PEOPLE, 'partner'] as const;
const STAFF = ['agent', 'admin'] as const;
const ADMIN = ['admin'] as const;

interface Sample {
  query: string;
  variables?: Record<string, unknown>;
  allowed: Allowed;
}

const SAMPLES: Record<string, Sample> = {
  'Query.viewer': { query: '{ viewer { id } }', allowed: PEOPLE },
  'Query.agents': { query: '{ agents { id } }', allowed: PEOPLE },
  'Query.teams': { query: '{ teams { id } }', allowed: PEOPLE },
  'Query.workflow': { query: '{ workflow(key: "agency") { key } }', allowed: PEOPLE },
  'Query.workflows': { query: '{ workflows { key } }', allowed: PEOPLE },
  'Query.node': { query: `{ node(id: "${NOPE}") { id } }`, allowed: PEOPLE_AND_PARTNER },
  'Query.ticket': { query: `{ ticket(id: "${NOPE}") { id } }`, allowed: PEOPLE_AND_PARTNER },
  'Query.ticketByReference': {
    query: '{ ticketByReference(reference: "TCK-999999") { id } }',
    allowed: PEOPLE_AND_PARTNER,
  },
  'Query.tickets': { query: '{ tickets(first: 1) { totalCount } }', allowed: PEOPLE_AND_PARTNER },
  'Query.businessCalendars': { query: '{ businessCalendars { key } }', allowed: STAFF },
  'Query.slaPolicies': { query: '{ slaPolicies { key } }', allowed: STAFF },
  'Query.slaMetrics': { query: '{ slaMetrics { breaches } }', allowed: STAFF },
  'Query.ticketsAtRisk': { query: '{ ticketsAtRisk { secondsToBreach } }', allowed: STAFF },
  'Query.previewSlaPolicy': { query: '{ previewSlaPolicy(key: "nope") { __typename } }', allowed: ADMIN },
  'Query.partners': { query: '{ partners { id } }', allowed: ADMIN },
  'Query.apiKeys': { query: '{ apiKeys { id } }', allowed: ADMIN },
  'Mutation.createTicket': {
    query:
      'mutation { createTicket(input: { subject: "", description: "x", channel: API }) { errors { code } } }',
    allowed: PEOPLE_AND_PARTNER,
  },
  'Mutation.addComment': {
    query: `mutation { addComment(input: { ticketId: "${NOPE}", body: "x" }) { errors { code } } }`,
    allowed: PEOPLE_AND_PARTNER,
  },
  'Mutation.importTicket': {
    query:
      'mutation { importTicket(input: { externalId: "", createdAt: "2026-01-01T00:00:00Z", subject: "x", description: "x", channel: API }) { errors { code } } }',
    allowed: ['admin', 'partner'],
  },
  'Mutation.importTickets': {
    query:
      'mutation { importTickets(input: { tickets: [{ externalId: "", createdAt: "2026-01-01T00:00:00Z", subject: "x", description: "x", channel: API }] }) { errors { code } results { errors { code } } } }',
    allowed: ['admin', 'partner'],
  },
  'Mutation.transitionTicket': {
    query: `mutation { transitionTicket(input: { ticketId: "${NOPE}", to: "x", expectedVersion: 1 }) { errors { code } } }`,
    allowed: PEOPLE,
  },
  'Mutation.updateTicket': {
    query: `mutation { updateTicket(input: { ticketId: "${NOPE}", subject: "x" }) { errors { code } } }`,
    allowed: PEOPLE,
  },
  'Mutation.assignTicket': {
    query: `mutation { assignTicket(input: { ticketId: "${NOPE}" }) { errors { code } } }`,
    allowed: STAFF,
  },
  'Mutation.escalateTicket': {
    query: `mutation { escalateTicket(input: { ticketId: "${NOPE}", reason: "x" }) { errors { code } } }`,
    allowed: STAFF,
  },
  'Mutation.createWorkflow': {
    query:
      'mutation($d: WorkflowDefinitionInput!) { createWorkflow(input: { key: "agency", name: "Dup", definition: $d }) { errors { code } } }',
    variables: { d: agency },
    allowed: ADMIN,
  },
  'Mutation.updateWorkflow': {
    query: 'mutation { updateWorkflow(input: { key: "nope", name: "x" }) { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.createBusinessCalendar': {
    query: `mutation { createBusinessCalendar(input: { key: "matrix", name: "x", definition: { timeZone: "Mars/Olympus", alwaysOpen: true, weekly: [], holidays: [] } }) { errors { code } } }`,
    allowed: ADMIN,
  },
  'Mutation.updateBusinessCalendar': {
    query: 'mutation { updateBusinessCalendar(input: { key: "nope", name: "x" }) { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.createSlaPolicy': {
    query: `mutation { createSlaPolicy(input: { key: "matrix", name: "x", definition: { conditions: {}, calendarKey: "nope", targets: [] } }) { errors { code } } }`,
    allowed: ADMIN,
  },
  'Mutation.updateSlaPolicy': {
    query: 'mutation { updateSlaPolicy(input: { key: "nope", name: "x" }) { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.applySlaPolicy': {
    query: 'mutation { applySlaPolicy(key: "nope") { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.setOrganizationLeadAgent': {
    query: `mutation { setOrganizationLeadAgent(input: { organizationId: "${NOPE}" }) { errors { code } } }`,
    allowed: ADMIN,
  },
  'Mutation.createPartner': {
    query: 'mutation { createPartner(input: { name: "" }) { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.createApiKey': {
    query: `mutation { createApiKey(input: { partnerId: "${NOPE}", name: "x", scopes: [TICKETS_READ] }) { errors { code } } }`,
    allowed: ADMIN,
  },
  'Mutation.rotateApiKey': {
    query: `mutation { rotateApiKey(input: { id: "${NOPE}" }) { errors { code } } }`,
    allowed: ADMIN,
  },
  'Mutation.revokeApiKey': {
    query: `mutation { revokeApiKey(id: "${NOPE}") { errors { code } } }`,
    allowed: ADMIN,
  },
  'Query.notificationTemplates': { query: '{ notificationTemplates { key } }', allowed: STAFF },
  'Query.previewNotification': {
    query: `{ previewNotification(ticketId: "${NOPE}", template: "reminder") { subject } }`,
    allowed: STAFF,
  },
  'Query.notificationMessages': { query: '{ notificationMessages { id } }', allowed: STAFF },
  'Query.csatMetrics': { query: '{ csatMetrics { rated } }', allowed: STAFF },
  'Query.inboundEmails': { query: '{ inboundEmails { id } }', allowed: STAFF },
  'Mutation.createAttachmentUpload': {
    query: `mutation { createAttachmentUpload(input: { ticketId: "${NOPE}", filename: "a.txt" }) { errors { code } } }`,
    allowed: PEOPLE_AND_PARTNER,
  },
  'Mutation.setOrganizationEmailDomains': {
    query: `mutation { setOrganizationEmailDomains(input: { organizationId: "${NOPE}", domains: [] }) { errors { code } } }`,
    allowed: ADMIN,
  },
  'Mutation.saveNotificationTemplate': {
    query:
      'mutation { saveNotificationTemplate(input: { key: "matrix", subject: "{{", text: "", html: "" }) { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.deleteNotificationTemplate': {
    query: 'mutation { deleteNotificationTemplate(key: "nope") { errors { code } } }',
    allowed: ADMIN,
  },
  'Mutation.addTicketParticipant': {
    query: `mutation { addTicketParticipant(input: { ticketId: "${NOPE}", email: "x@example.com" }) { errors { code } } }`,
    allowed: PEOPLE,
  },
  'Mutation.removeTicketParticipant': {
    query: `mutation { removeTicketParticipant(input: { ticketId: "${NOPE}", userId: "${NOPE}" }) { errors { code } } }`,
    allowed: PEOPLE,
  },
  'Mutation.followTicket': {
    query: `mutation { followTicket(ticketId: "${NOPE}") { errors { code } } }`,
    allowed: STAFF,
  },
  'Mutation.unfollowTicket': {
    query: `mutation { unfollowTicket(ticketId: "${NOPE}") { errors { code } } }`,
    allowed: STAFF,
  },
  'Mutation.rateTicket': {
    query: `mutation { rateTicket(input: { ticketId: "${NOPE}", rating: "good" }) { errors { code } } }`,
    allowed: PEOPLE,
  },
  'Subscription.ticketEvents': {
    query: 'subscription { ticketEvents { seq } }',
    allowed: PEOPLE_AND_PARTNER,
  },
  'Subscription.slaAlerts': { query: 'subscription { slaAlerts { seq } }', allowed: PEOPLE_AND_PARTNER },
  'Subscription.queueStats': { query: 'subscription { queueStats { open } }', allowed: STAFF },
};

const REFUSALS = new Set(['UNAUTHENTICATED', 'NOT_PERMITTED']);
const CALLERS: Caller[] = ['anonymous', 'requester', 'agent', 'admin', 'partner', 'partnerOutOfScope'];

describe('authorization matrix', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  const credentials = new Map<string, string | undefined>();

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
    credentials.set('requester', await f.token('rita@acme.example'));
    credentials.set('agent', await f.token('alice@docket.local'));
    credentials.set('admin', await f.token('admin@docket.local'));
    const admin = credentials.get('admin');
    const partner = await s.gql<{ createPartner: { partner: { id: string } } }, unknown>(
      'mutation { createPartner(input: { name: "Matrix" }) { partner { id } } }',
      {},
      admin,
    );
    // A key per scope set: all scopes, and all but each one (the "out of scope" caller of an operation).
    const key = async (scopes: string[]) =>
      (
        await s.gql<{ createApiKey: { key: string } }, unknown>(
          'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
          {
            input: {
              partnerId: partner.data!.createPartner.partner.id,
              name: scopes.join('+') || 'none',
              scopes,
            },
          },
          admin,
        )
      ).data!.createApiKey.key;
    const names = SCOPES.map((x) => x.toUpperCase().replace(':', '_'));
    credentials.set('partner:*', await key(names));
    for (const [i, scope] of SCOPES.entries())
      credentials.set(`partner:-${scope}`, await key(names.filter((_, j) => j !== i)));
  });
  afterAll(() => s.close());

  const credentialOf = (caller: Caller, operation: string) => {
    if (caller === 'anonymous') return undefined;
    if (caller === 'partner') return credentials.get('partner:*');
    if (caller === 'partnerOutOfScope') {
      const scope = OPERATIONS[operation]?.partner;
      return credentials.get(scope ? `partner:-${scope}` : 'partner:*');
    }
    return credentials.get(caller);
  };

  /** Whether the policy let the call through (any refusal: a top-level or payload UNAUTHENTICATED / NOT_PERMITTED). */
  async function passes(operation: string, sample: Sample, credential: string | undefined): Promise<boolean> {
    if (operation.startsWith('Subscription.')) {
      const c = connect(s.url, credential);
      try {
        const sub = c.subscribe(sample.query);
        const outcome = await Promise.race([
          sub.ended.then(() => 'ended'),
          c.closed.then(() => 'closed'),
          sub.take(1, 700).then(
            () => 'data',
            () => 'silent',
          ),
        ]);
        if (outcome === 'closed') return false;
        const codes = sub.results.flatMap((r) => (r.errors ?? []).map((e) => String(e.extensions?.code)));
        return !codes.some((code) => REFUSALS.has(code));
      } finally {
        await c.dispose();
      }
    }
    const res = await s.gql<Record<string, { errors?: { code: string }[] } | null>, unknown>(
      sample.query,
      sample.variables,
      credential,
    );
    const top = (res.errors ?? []).map((e) => String(e.extensions?.code));
    const payload = Object.values(res.data ?? {}).flatMap((v) =>
      (v && 'errors' in v ? (v.errors ?? []) : []).map((e) => e.code),
    );
    const unexpected = top.filter(
      (code) => !REFUSALS.has(code) && !['NOT_FOUND', 'INVALID_INPUT'].includes(code),
    );
    expect(unexpected).toEqual([]); // a sample must fail only for the reasons it was written for
    return ![...top, ...payload].some((code) => REFUSALS.has(code));
  }

  it('has a sample and an expected outcome for every operation of the schema, and a rule for each in the policy', async () => {
    const schema = await buildDocketSchema();
    const operations = [
      schema.getQueryType(),
      schema.getMutationType(),
      schema.getSubscriptionType(),
    ].flatMap((t) => Object.keys(t!.getFields()).map((name) => `${t!.name}.${name}`));
    expect(Object.keys(SAMPLES).sort()).toEqual([...operations].sort());
    expect(Object.keys(OPERATIONS).sort()).toEqual([...operations].sort());
    // Every mutation answers refusals in its payload.
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      const type = getNamedType(field.type);
      expect(isObjectType(type) && 'errors' in type.getFields()).toBe(true);
    }
  });

  for (const [operation, sample] of Object.entries(SAMPLES)) {
    it(`${operation}: ${sample.allowed.join(', ')}`, async () => {
      const outcome: Record<string, boolean> = {};
      for (const caller of CALLERS)
        outcome[caller] = await passes(operation, sample, credentialOf(caller, operation));
      const expected = Object.fromEntries(
        CALLERS.map((caller) => [caller, (sample.allowed as readonly string[]).includes(caller)]),
      );
      expect(outcome).toEqual(expected);
    });
  }

  /**
   * Every path to an object applies that object's read rule (issue 12 item 2): `node(id:)` answers as
   * the object's own root query does, for every Node type and every kind of caller. One row per object
   * (a Node type, and where its data rule differs by owner, one object each side of it), written by
   * hand; `root` is the object's own query (or the query that reaches it), which must agree.
   */
  describe('every path to an object', () => {
    type Row = {
      id: string;
      readers: readonly Caller[];
      root?: {
        query: string;
        variables?: Record<string, unknown>;
        has: (data: unknown, id: string) => boolean;
      };
    };
    const rows = new Map<string, Row>();
    const listHas = (field: string) => (data: unknown, id: string) =>
      ((data as Record<string, { id: string }[] | null> | null)?.[field] ?? []).some((x) => x.id === id);

    beforeAll(async () => {
      const admin = credentials.get('admin');
      const ask = async <T>(query: string, variables: Record<string, unknown> = {}, token = admin) => {
        const res = await s.gql<T, unknown>(query, variables, token);
        expect(res.errors).toBeUndefined();
        return res.data!;
      };
      const rita = await f.create('rita@acme.example', { subject: 'Node matrix', description: 'mine' });
      const pub = await f.comment('alice@docket.local', { ticketId: rita.id, body: 'Public reply' });
      const note = await f.comment('alice@docket.local', { ticketId: rita.id, body: 'Note', internal: true });
      const viaPartner = await s.gql<{ createTicket: { ticket: { id: string } } }, unknown>(
        'mutation { createTicket(input: { subject: "From the platform", description: "x", channel: API, requesterEmail: "nodebuyer@example.com", requesterName: "Buyer" }) { ticket { id } } }',
        {},
        credentials.get('partner:*'),
      );
      const partnerTicket = viaPartner.data!.createTicket.ticket.id;
      const partnerComment = await s.gql<{ addComment: { comment: { id: string } } }, unknown>(
        'mutation($t: ID!) { addComment(input: { ticketId: $t, body: "Seller answered" }) { comment { id } } }',
        { t: partnerTicket },
        credentials.get('partner:*'),
      );
      const d = await ask<{
        viewer: { id: string };
        agents: { id: string; email: string }[];
        teams: { id: string }[];
        workflows: { id: string; key: string }[];
        partners: { id: string }[];
        apiKeys: { id: string }[];
        ticket: { requester: { id: string }; organization: { id: string; plan: { id: string } } };
      }>(
        `query($t: ID!) { viewer { id } agents { id email } teams { id } workflows { id key } partners { id } apiKeys { id }
           ticket(id: $t) { requester { id } organization { id plan { id } } } }`,
        { t: rita.id },
      );
      const uma = await ask<{ viewer: { organization: { id: string; plan: { id: string } } } }>(
        '{ viewer { organization { id plan { id } } } }',
        {},
        await f.token('uma@umbrella.example'),
      );
      const alice = d.agents.find((a) => a.email === 'alice@docket.local')!.id;
      const agency = d.workflows.find((w) => w.key === 'agency')!;
      const ticketRoot = {
        query: 'query($id: ID!) { ticket(id: $id) { id } }',
        has: (x: unknown) => !!(x as { ticket: unknown } | null)?.ticket,
      };
      const commentsOf = (ticketId: string) => ({
        query: 'query($t: ID!) { ticket(id: $t) { comments { edges { node { id } } } } }',
        variables: { t: ticketId },
        has: (x: unknown, id: string) =>
          !!(
            x as { ticket: { comments: { edges: { node: { id: string } }[] } } | null } | null
          )?.ticket?.comments.edges.some((e) => e.node.id === id),
      });
      const PEOPLE_ONLY = ['requester', 'agent', 'admin'] as const;
      const STAFF_ONLY = ['agent', 'admin'] as const;
      // Hand-written: who reads each object, whichever path.
      rows.set("Ticket (a requester's own)", { id: rita.id, readers: PEOPLE_ONLY, root: ticketRoot });
      rows.set('Ticket (opened by the partner)', {
        id: partnerTicket,
        readers: [...STAFF_ONLY, 'partner'],
        root: ticketRoot,
      });
      rows.set('Comment (public, on the requester’s ticket)', {
        id: pub.comment!.id,
        readers: PEOPLE_ONLY,
        root: commentsOf(rita.id),
      });
      rows.set('Comment (internal note)', {
        id: note.comment!.id,
        readers: STAFF_ONLY,
        root: commentsOf(rita.id),
      });
      rows.set('Comment (the partner’s, on its ticket)', {
        id: partnerComment.data!.addComment.comment.id,
        readers: [...STAFF_ONLY, 'partner'],
        root: commentsOf(partnerTicket),
      });
      rows.set('User (the requester herself)', { id: d.ticket.requester.id, readers: PEOPLE_ONLY });
      rows.set('User (an agent)', {
        id: alice,
        readers: STAFF_ONLY,
        root: { query: '{ agents { id } }', has: listHas('agents') },
      });
      rows.set('User (the admin)', {
        id: d.viewer.id,
        readers: STAFF_ONLY,
        root: { query: '{ agents { id } }', has: listHas('agents') },
      });
      rows.set('Organization (the requester’s)', { id: d.ticket.organization.id, readers: PEOPLE_ONLY });
      rows.set('Organization (another)', { id: uma.viewer.organization.id, readers: STAFF_ONLY });
      rows.set('Plan (the requester’s organization’s)', {
        id: d.ticket.organization.plan.id,
        readers: PEOPLE_ONLY,
      });
      rows.set('Plan (another)', { id: uma.viewer.organization.plan.id, readers: STAFF_ONLY });
      rows.set('Team', {
        id: d.teams[0]!.id,
        readers: PEOPLE_ONLY,
        root: { query: '{ teams { id } }', has: listHas('teams') },
      });
      rows.set('Workflow', {
        id: agency.id,
        readers: PEOPLE_ONLY,
        root: {
          query: '{ workflow(key: "agency") { id } }',
          has: (x: unknown) => !!(x as { workflow: unknown } | null)?.workflow,
        },
      });
      rows.set('Partner', {
        id: d.partners[0]!.id,
        readers: ['admin'],
        root: { query: '{ partners { id } }', has: listHas('partners') },
      });
      rows.set('ApiKey', {
        id: d.apiKeys[0]!.id,
        readers: ['admin'],
        root: { query: '{ apiKeys { id } }', has: listHas('apiKeys') },
      });
    });

    const nodeCredential = (caller: Caller) =>
      caller === 'partnerOutOfScope'
        ? credentials.get('partner:-tickets:read')
        : credentialOf(caller, 'Query.node');

    it('has a row for every Node type of the schema, and a read rule for each in the policy', async () => {
      const schema = await buildDocketSchema();
      const nodeTypes = schema
        .getPossibleTypes(schema.getType('Node') as GraphQLInterfaceType)
        .map((t) => t.name);
      const typesOf = [...rows.values()].map(
        (r) => Buffer.from(r.id, 'base64url').toString('utf8').split(':')[0],
      );
      expect([...new Set(typesOf)].sort()).toEqual([...nodeTypes].sort());
      expect(Object.keys(NODE_READ_OPERATION).sort()).toEqual([...nodeTypes].sort());
    });

    it.each([
      "Ticket (a requester's own)",
      'Ticket (opened by the partner)',
      'Comment (public, on the requester’s ticket)',
      'Comment (internal note)',
      'Comment (the partner’s, on its ticket)',
      'User (the requester herself)',
      'User (an agent)',
      'User (the admin)',
      'Organization (the requester’s)',
      'Organization (another)',
      'Plan (the requester’s organization’s)',
      'Plan (another)',
      'Team',
      'Workflow',
      'Partner',
      'ApiKey',
    ])('%s: node(id:) and its own query agree with the table', async (name) => {
      const row = rows.get(name)!;
      const viaNode: Record<string, boolean> = {};
      const viaRoot: Record<string, boolean> = {};
      for (const caller of CALLERS) {
        const credential = nodeCredential(caller);
        const res = await s.gql<{ node: { id: string } | null }, unknown>(
          'query($id: ID!) { node(id: $id) { id } }',
          { id: row.id },
          credential,
        );
        viaNode[caller] = res.data?.node?.id === row.id;
        if (row.root) {
          const r = await s.gql(row.root.query, { id: row.id, ...row.root.variables }, credential);
          viaRoot[caller] = row.root.has(r.data ?? null, row.id);
        }
      }
      const expected = Object.fromEntries(
        CALLERS.map((c) => [c, (row.readers as readonly string[]).includes(c)]),
      );
      expect(viaNode).toEqual(expected);
      if (row.root) expect(viaRoot).toEqual(expected);
    });
  });
});
