import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { ViewerDocument } from './generated/graphql.js';
import { browserAvailable, launchChromium } from './support/browser.js';
import { fastCriticalSla } from './support/fast-sla.js';
import { flows } from './support/flows.js';
import { startTestServer, uuidOf, type TestServer } from './support/harness.js';
import { tcpProxy } from './support/tcp-proxy.js';

/**
 * The pages a person opens, in real headless Chromium (Debian's chromium, driven by playwright-core):
 * GraphiQL at GET /graphql and the live wallboard at /wallboard, both served by Docket from its own
 * bundles, with no request leaving the server's origin.
 */
const suite = browserAvailable('test/browser.test.ts') ? describe : describe.skip;
const AGENT = 'alice@docket.local';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('browser pages (headless Chromium)', () => {
  let s: TestServer;
  let f: ReturnType<typeof flows>;
  let browser: Browser;
  let uma: string;

  beforeAll(async () => {
    s = await startTestServer({ scheduler: 'process' });
    f = flows(s);
    await fastCriticalSla(s, f);
    uma = (await s.gql(ViewerDocument, {}, await f.token('uma@umbrella.example'))).data!.viewer.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /** A page that records every request it makes and fails the test on a script error. */
  async function open(url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return { page, requests, errors };
  }
  const sameOrigin = (requests: string[], origin: string) =>
    requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));

  describe('GraphiQL at /graphql', () => {
    it('runs the queue query with the pasted token, and a subscription shows a change made meanwhile', async () => {
      const token = await f.token(AGENT);
      const origin = new URL(s.url).origin;
      const { page, requests, errors } = await open(s.url);
      await page.fill('#docket-token', token);
      // The first tab is the README's queue query.
      await page.locator('.graphiql-tab', { hasText: 'Queue' }).first().waitFor();
      const answered = page.waitForResponse(
        (r) =>
          r.url() === s.url && r.request().method() === 'POST' && /Queue/.test(r.request().postData() ?? ''),
      );
      await page.click('.graphiql-execute-button');
      const response = await answered;
      expect(response.request().headers().authorization).toBe(`Bearer ${token}`);
      const body = (await response.json()) as { data: { tickets: { totalCount: number } } };
      expect(body.data.tickets.totalCount).toBeGreaterThan(0);
      await page.locator('.graphiql-response', { hasText: 'TCK-0000' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('.graphiql-response').innerText()).toContain('"totalCount"');

      // A subscription over the same /graphql (graphql-ws), then a change through the API.
      await page.locator('.graphiql-tab', { hasText: 'TicketEvents' }).click();
      await page.click('.graphiql-execute-button');
      // The replay of the demo data's log arrives first (the last event shows).
      await page.locator('.graphiql-response', { hasText: '"seq"' }).waitFor({ timeout: 10_000 });
      await sleep(500);
      await f.create(AGENT, { requesterId: uma, subject: 'Seen live in GraphiQL' });
      await page
        .locator('.graphiql-response', { hasText: 'Seen live in GraphiQL' })
        .waitFor({ timeout: 10_000 });

      // Everything came from Docket itself: no CDN, nothing else on the network.
      expect(sameOrigin(requests, origin)).toEqual([]);
      expect(requests.some((u) => u.endsWith('/assets/graphiql/graphiql.js'))).toBe(true);
      expect(errors).toEqual([]);
      // The token stays in this browser (localStorage), for the next visit.
      expect(await page.evaluate("localStorage.getItem('docket.token')")).toBe(token);
      await page.close();
    }, 60_000);
  });

  describe('the wallboard at /wallboard', () => {
    it('shows a breach within 2 s of its commit, and resumes after a dropped connection without a gap', async () => {
      const proxy = await tcpProxy(s.server.port);
      try {
        const origin = `http://127.0.0.1:${proxy.port}`;
        const { page, requests, errors } = await open(`${origin}/wallboard`);
        await page.fill('#token', await f.token(AGENT));
        await page.press('#token', 'Enter');
        await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
        // The counters arrive from queueStats.
        await page.locator('#open', { hasText: /^\d+$/ }).waitFor({ timeout: 10_000 });

        const breachOf = async (ticketId: string) => {
          for (;;) {
            const [row] = await s.sql<{ seq: string; occurred_at: Date }>(
              "select seq, occurred_at from ticket_event where ticket_id = $1 and type = 'SLA_BREACHED'",
              [uuidOf(ticketId)],
            );
            if (row) return row;
            await sleep(20);
          }
        };
        const critical = (subject: string) =>
          f.create(AGENT, { requesterId: uma, workflowKey: 'saas-fast', priority: 'CRITICAL', subject });

        // A breach (first response within 1 s) shows on the board within 2 s of its commit.
        const first = await critical('Breach on the wall');
        const committed = await breachOf(first.id);
        await page.locator(`li.alert-BREACH[data-seq="${committed.seq}"]`).waitFor({ timeout: 5000 });
        const shownAfter = Date.now() - committed.occurred_at.getTime();
        expect(shownAfter).toBeLessThan(2000);
        expect(await page.locator(`li.alert-BREACH[data-seq="${committed.seq}"]`).innerText()).toContain(
          first.reference,
        );

        // The network drops; two more tickets warn and breach meanwhile; it comes back.
        await proxy.drop();
        await page.locator('#status[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
        const missed = [await critical('Breached while away 1'), await critical('Breached while away 2')];
        for (const t of missed) await breachOf(t.id);
        await proxy.restore();
        await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
        // (Each may show two breaches by now: first response after 1 s, resolution after 3 s.)
        for (const t of missed)
          await page
            .locator(`li.alert-BREACH[data-reference="${t.reference}"]`)
            .first()
            .waitFor({ timeout: 10_000 });

        // Exactly the log's alerts since the first one shown: no gap, no duplicate, newest first.
        const expected = (
          await s.sql<{ seq: string }>(
            "select seq from ticket_event where seq >= $1 and type in ('SLA_WARNING', 'SLA_BREACHED') order by seq desc",
            [committed.seq],
          )
        ).map((r) => Number(r.seq));
        await page.waitForFunction(
          `document.querySelectorAll('#alerts li').length >= ${expected.length}`,
          null,
          {
            timeout: 10_000,
          },
        );
        const shown = await page.$$eval('#alerts li', (items) =>
          items.map((li) => Number(li.getAttribute('data-seq'))),
        );
        expect(shown.filter((seq) => seq >= Number(committed.seq))).toEqual(expected);
        // Compliance per priority is charted from slaMetrics: CRITICAL has breaches now.
        await page.locator('[data-compliance="CRITICAL"]', { hasText: '%' }).waitFor({ timeout: 10_000 });
        expect(sameOrigin(requests, origin)).toEqual([]);
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        await proxy.close();
      }
    }, 90_000);
  });
});
