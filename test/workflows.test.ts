import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateWorkflowDocument,
  UpdateWorkflowDocument,
  WorkflowDocument,
  WorkflowsDocument,
  type WorkflowDefinitionInput,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';

const ADMIN = 'admin@docket.local';

const tiny = (): WorkflowDefinitionInput => ({
  initialStatus: 'open',
  statuses: [
    { key: 'open', name: 'Open', category: 'NEW' },
    { key: 'done', name: 'Done', category: 'RESOLVED' },
  ],
  transitions: [{ from: ['open'], to: 'done', actors: ['AGENT'], requiresReason: false, reopen: false }],
  requesterReplies: [{ status: 'done', action: 'MOVE', to: 'open' }],
  partnerComments: [],
  escalations: [],
  categorisation: { categories: ['general'], defaultCategory: 'general', rules: [] },
  timers: [],
});

describe('workflows as data', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
  });
  afterAll(() => s.close());

  it('ships the five presets, agency by default, each readable as data', async () => {
    const list = await s.gql(WorkflowsDocument, {}, await f.token('alice@docket.local'));
    expect(list.data!.workflows.map((w) => [w.key, w.isDefault])).toEqual([
      ['agency', true],
      ['knowledge-base', false],
      ['managed-service', false],
      ['marketplace', false],
      ['saas', false],
    ]);
    const mp = await s.gql(WorkflowDocument, { key: 'marketplace' }, await f.token('alice@docket.local'));
    const def = mp.data!.workflow!.definition;
    expect(def.intakeStatus).toBe('to_do_next');
    expect(def.timers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          status: 'waiting_on_seller',
          action: 'REMIND',
          after: 'P3D',
          repeatEvery: 'P3D',
          maxCount: 3,
        }),
      ]),
    );
  });

  it('only admins create workflows; invalid definitions are refused with every problem named', async () => {
    const asAgent = await s.gql(
      CreateWorkflowDocument,
      { input: { key: 'tiny', name: 'Tiny', isDefault: false, definition: tiny() } },
      await f.token('alice@docket.local'),
    );
    expect(asAgent.data!.createWorkflow.errors).toMatchObject([{ code: 'NOT_PERMITTED' }]);
    const bad = tiny();
    bad.statuses.push(
      { key: 'limbo', name: 'Limbo', category: 'OPEN' },
      { key: 'closed', name: 'Closed', category: 'CLOSED' },
    );
    bad.transitions.push({
      from: ['closed'],
      to: 'open',
      actors: ['AGENT'],
      requiresReason: false,
      reopen: false,
    });
    bad.timers = [{ status: 'open', action: 'MOVE', after: 'P2D', to: 'nowhere' }];
    const res = await s.gql(
      CreateWorkflowDocument,
      { input: { key: 'tiny', name: 'Tiny', isDefault: false, definition: bad } },
      await f.token(ADMIN),
    );
    const errors = res.data!.createWorkflow.errors;
    expect(res.data!.createWorkflow.workflow).toBeNull();
    expect(errors.every((e) => e.code === 'INVALID_INPUT')).toBe(true);
    expect(errors.map((e) => e.field)).toEqual(
      expect.arrayContaining([
        'definition.transitions[1].reopen',
        'definition.timers[0].to',
        'definition.statuses[2]',
      ]),
    );
    expect(errors.find((e) => e.field === 'definition.statuses[2]')!.message).toContain(
      '"limbo" cannot be reached',
    );
    expect(errors.find((e) => e.field === 'definition.timers[0].to')!.message).toContain(
      'unknown status "nowhere"',
    );
    expect((await s.sql('select * from workflow where key = $1', ['tiny'])).length).toBe(0);
  });

  it('versions a workflow: tickets keep the version they started on; new tickets get the new one', async () => {
    const created = await s.gql(
      CreateWorkflowDocument,
      { input: { key: 'tiny', name: 'Tiny', isDefault: false, definition: tiny() } },
      await f.token(ADMIN),
    );
    expect(created.data!.createWorkflow).toMatchObject({ errors: [], workflow: { key: 'tiny', version: 1 } });
    const sam = await s.sql<{ id: string }>("select id from app_user where email = 'sam@acme.example'");
    const old = await f.create('alice@docket.local', { workflowKey: 'tiny', requesterId: sam[0]!.id });
    const v2 = tiny();
    v2.statuses.push({ key: 'waiting', name: 'Waiting', category: 'WAITING_ON_REQUESTER' });
    v2.transitions.push({
      from: ['open'],
      to: 'waiting',
      actors: ['AGENT'],
      requiresReason: false,
      reopen: false,
    });
    v2.requesterReplies!.push({ status: 'waiting', action: 'MOVE', to: 'open' });
    const updated = await s.gql(
      UpdateWorkflowDocument,
      { input: { key: 'tiny', definition: v2, isDefault: true } },
      await f.token(ADMIN),
    );
    expect(updated.data!.updateWorkflow).toMatchObject({
      errors: [],
      workflow: { key: 'tiny', version: 2, isDefault: true },
    });
    const fresh = await f.create('rita@acme.example', { subject: 'On v2' }); // Acme names agency; default changed
    const freshAsAgent = await f.get('alice@docket.local', fresh.id);
    expect(freshAsAgent!.allowedTransitions.map((m) => m.to.key)).toEqual(
      expect.arrayContaining(['pending']),
    );
    const viaKey = await f.create('alice@docket.local', { workflowKey: 'tiny', requesterId: sam[0]!.id });
    expect(viaKey.allowedTransitions.map((m) => m.to.key).sort()).toEqual(['done', 'waiting']);
    const stillV1 = await f.get('alice@docket.local', old.id);
    expect(stillV1!.allowedTransitions.map((m) => m.to.key)).toEqual(['done']);
    const list = await s.gql(WorkflowsDocument, {}, await f.token(ADMIN));
    expect(list.data!.workflows.filter((w) => w.isDefault).map((w) => w.key)).toEqual(['tiny']);
  });
});
