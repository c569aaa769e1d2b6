import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PRESETS } from '../src/workflow/presets/index.js';
import {
  CreateSlaPolicyDocument,
  CreateWorkflowDocument,
  ViewerDocument,
  type Priority,
  type WorkflowDefinitionInput,
} from './generated/graphql.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';

/**
 * Issue 18, item 1: the job store holds only the deadlines due within the scheduler's horizon; later
 * ones are promoted into it as they come near, and still fire on time (docs/SCHEDULER.md, "Horizon").
 */
const AGENT = 'alice@docket.local';
const HORIZON_MS = 4000; // the promoter runs every second
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduler horizon', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let uma: string;

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'process', horizonMs: HORIZON_MS });
    f = flows(s);
    const admin = await f.token('admin@docket.local');
    const saas = PRESETS.find((p) => p.key === 'saas')!;
    const wf = await s.gql(
      CreateWorkflowDocument,
      {
        input: {
          key: 'horizon',
          name: 'Horizon',
          isDefault: false,
          definition: saas.definition as WorkflowDefinitionInput,
        },
      },
      admin,
    );
    expect(wf.data!.createWorkflow.errors).toEqual([]);
    const policy = async (priority: Priority, within: string, position: number) => {
      const res = await s.gql(
        CreateSlaPolicyDocument,
        {
          input: {
            key: `horizon-${priority.toLowerCase()}`,
            name: `Horizon ${priority}`,
            position,
            definition: {
              conditions: { workflows: ['horizon'], priorities: [priority] },
              calendarKey: 'always-open',
              targets: [
                {
                  kind: 'FIRST_RESPONSE',
                  within,
                  clock: 'ALWAYS',
                  warnAtPercent: [],
                  pausedIn: [],
                  onBreach: 'NONE',
                },
              ],
            },
          },
        },
        admin,
      );
      expect(res.data!.createSlaPolicy.errors).toEqual([]);
    };
    await policy('HIGH', 'PT2S', 1);
    await policy('CRITICAL', 'PT8S', 2);
    uma = (await s.gql(ViewerDocument, {}, await f.token('uma@umbrella.example'))).data!.viewer!.id;
  });
  afterAll(() => s?.close());

  const breachJob = async (ticketId: string) =>
    (
      await s.sql<{ next_run_at: Date | null }>(
        "select next_run_at from agenda_jobs where name = 'sla-breach' and data->>'ticketId' = $1",
        [uuidOf(ticketId)],
      )
    )[0]?.next_run_at ?? undefined;
  const open = (priority: Priority) =>
    f.create(AGENT, { requesterId: uma, workflowKey: 'horizon', priority });
  /** How late the breach was committed after its due time (ms), once it is. */
  const breachLateness = async (ticketId: string, within: number) => {
    const until = Date.now() + within;
    for (;;) {
      const [row] = await s.sql<{ occurred_at: Date; due: string }>(
        `select occurred_at, payload->>'breachedAt' as due from ticket_event
          where ticket_id = $1 and type = 'SLA_BREACHED'`,
        [uuidOf(ticketId)],
      );
      if (row) return row.occurred_at.getTime() - Date.parse(row.due);
      if (Date.now() > until) throw new Error('no breach recorded');
      await sleep(50);
    }
  };

  it('a deadline within the horizon gets its job at once', async () => {
    const t = await open('HIGH');
    expect(await breachJob(t.id)).toBeInstanceOf(Date);
    expect(await breachLateness(t.id, 4000)).toBeLessThan(1000);
  });

  it('a later deadline has no job until it comes within the horizon, then fires on time', async () => {
    const t = await open('CRITICAL');
    const created = Date.now();
    expect(await breachJob(t.id)).toBeUndefined();
    // It comes within the horizon 4 s after creation; the promoter runs every second.
    let promotedAfter: number | undefined;
    while (Date.now() - created < 7000) {
      if (await breachJob(t.id)) {
        promotedAfter = Date.now() - created;
        break;
      }
      await sleep(100);
    }
    expect(promotedAfter).toBeDefined();
    expect(promotedAfter!).toBeGreaterThanOrEqual(8000 - HORIZON_MS - 500);
    expect(await breachLateness(t.id, 8000)).toBeLessThan(1000);
  });

  it('keeps its mark a horizon ahead, shared by every worker', async () => {
    const [state] = await s.sql<{ promoted_until: Date }>('select promoted_until from scheduler_state');
    expect(Math.abs(state!.promoted_until.getTime() - (Date.now() + HORIZON_MS))).toBeLessThan(2000);
  });
});
