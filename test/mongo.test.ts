import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeadlineScheduler } from '../src/scheduler/scheduler.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import {
  CreateWorkflowDocument,
  TicketDocument,
  ViewerDocument,
  type WorkflowDefinitionInput,
} from './generated/graphql.js';
import { PRESETS } from '../src/workflow/presets/index.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * The production job store: Agenda on MongoDB. Runs when MONGODB_URL points at a MongoDB (a replica
 * set in production; any mongod for this test); MongoDB cannot be installed on our CI machines, so
 * there the suite is skipped, and says so.
 */
const url = process.env.MONGODB_URL;
if (!url) {
  // Straight to stderr: Jest drops the console output of a file whose tests are all skipped when it
  // runs several files at once, and the reason must show in every run.
  process.stderr.write(
    'test/mongo.test.ts: SKIPPED — set MONGODB_URL (e.g. mongodb://127.0.0.1:27017/docket_test) to run the MongoDB job store tests\n',
  );
}
const suite = url ? describe : describe.skip;

suite('the scheduler on MongoDB (MONGODB_URL)', () => {
  let s: TestServer;
  let scheduler: DeadlineScheduler;
  let f: ReturnType<typeof flows>;

  beforeAll(async () => {
    s = await startTestServer();
    f = flows(s);
    scheduler = new DeadlineScheduler({
      databaseUrl: s.databaseUrl,
      mongoUrl: url,
      process: true,
      name: 'mongo-test',
      em: s.orm.em.fork(),
      clock: systemClock,
      logger: createLogger('silent'),
      processEveryMs: 300,
      lockLifetimeMs: 3000,
    });
    await scheduler.start();
    await scheduler.agenda.cancel({ names: ['workflow-timer', 'sla-warning', 'sla-breach'] });
  });
  afterAll(async () => {
    await scheduler?.stop();
    await s?.close();
  });

  it('stores jobs in MongoDB and fires a workflow timer at its time', async () => {
    expect(scheduler.store).toBe('mongodb');
    const agency = PRESETS.find((p) => p.key === 'agency')!.definition;
    const def = {
      ...agency,
      timers: agency.timers.map((t) => ({ ...t, after: t.action === 'MOVE' ? 'PT1S' : 'PT0.5S' })),
    };
    await s.gql(
      CreateWorkflowDocument,
      {
        input: {
          key: 'agency-mongo',
          name: 'Agency (mongo)',
          isDefault: false,
          definition: def as WorkflowDefinitionInput,
        },
      },
      await f.token('admin@docket.local'),
    );
    const rita = (await s.gql(ViewerDocument, {}, await f.token('rita@acme.example'))).data!.viewer!.id;
    const t = await f.create('alice@docket.local', { requesterId: rita, workflowKey: 'agency-mongo' });
    await f.comment('alice@docket.local', { ticketId: t.id, body: 'Which page?', status: 'pending' });
    await scheduler.sync([Buffer.from(t.id, 'base64url').toString().split(':')[1]!]);
    const until = Date.now() + 8000;
    while (Date.now() < until && (await f.status('alice@docket.local', t.id)) !== 'closed')
      await new Promise((r) => setTimeout(r, 100));
    expect(await f.status('alice@docket.local', t.id)).toBe('closed');
    const events = (await s.gql(TicketDocument, { id: t.id }, await f.token('alice@docket.local'))).data!
      .ticket!.events;
    expect(events.filter((e) => e.type === 'REQUESTER_REMINDED')).toHaveLength(2);
  });
});
