import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, validate, type GraphQLSchema } from 'graphql';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { buildDocketSchema } from '../src/server/schema.js';
import { EXAMPLE_TABS } from '../web/graphiql/examples.js';
import { flows } from './support/flows.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { wsUrl } from './support/ws.js';

/** The examples a new user copies: GraphiQL's tabs, the README's GraphQL blocks and examples/subscribe.ts. */
const root = new URL('..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('examples', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildDocketSchema();
  });

  const problems = (query: string) => validate(schema, parse(query)).map((e) => e.message);

  it("GraphiQL's saved tabs are valid operations of the API, one per tab, the queue first", () => {
    expect(EXAMPLE_TABS.length).toBeGreaterThanOrEqual(5);
    for (const tab of EXAMPLE_TABS) {
      expect(problems(tab.query)).toEqual([]);
      if (tab.variables) expect(() => JSON.parse(tab.variables!)).not.toThrow();
    }
    expect(EXAMPLE_TABS[0]!.query).toMatch(/query Queue \{\s+tickets\(first: 10, orderBy: QUEUE\)/);
    const names = EXAMPLE_TABS.map((t) => /(query|mutation|subscription) (\w+)/.exec(t.query)![2]);
    expect(names).toEqual(expect.arrayContaining(['Queue', 'TicketEvents', 'SlaAlerts', 'QueueStats']));
  });

  it("the README's GraphQL blocks are valid, and its subscription example replays the demo data (after: 0)", () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    for (const block of blocks) expect(problems(block)).toEqual([]);
    expect(blocks.some((b) => /ticketEvents\([^)]*after: 0/.test(b))).toBe(true);
  });

  describe('examples/subscribe.ts against a server with the demo data', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer();
    });
    afterAll(() => s.close());

    it('prints every event of the log from after: 0, then live ones', async () => {
      const entry = `${root}dist/examples/subscribe.js`;
      expect(existsSync(entry)).toBe(true);
      const f = flows(s);
      const child = spawn(process.execPath, [entry, '--after', '0'], {
        env: { PATH: process.env.PATH, TOKEN: await f.token('alice@docket.local'), DOCKET_URL: wsUrl(s.url) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const lines = () => out.split('\n').filter(Boolean);
      const waitFor = async (check: () => boolean) => {
        const until = Date.now() + 15_000;
        while (!check()) {
          if (Date.now() > until) throw new Error(`the example printed:\n${out}\n${err}`);
          await sleep(50);
        }
      };
      try {
        const logged = (await s.sql<{ seq: string }>('select seq from ticket_event order by seq')).map((r) =>
          Number(r.seq),
        );
        expect(logged.length).toBeGreaterThan(20);
        await waitFor(() => lines().length >= logged.length);
        expect(lines().map((l) => Number(/^#(\d+) /.exec(l)![1]))).toEqual(logged);
        expect(lines()[0]).toMatch(/^#1 \S+ TICKET_CREATED TCK-000001 \[/);
        const t = await f.create('alice@docket.local', {
          requesterEmail: 'rita@acme.example',
          subject: 'Seen by the example',
        });
        await waitFor(() => lines().some((l) => l.includes(`TICKET_CREATED ${t.reference}`)));
        expect(err).toContain('connected; events after #0');
      } finally {
        child.kill('SIGTERM');
      }
    });
  });
});
