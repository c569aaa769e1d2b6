import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PgCommitSignal } from '../src/events/commit-signal.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './support/harness.js';

/**
 * The LISTEN connection of a log consumer or the realtime feed: closed while it is reconnecting (a
 * shutdown right after a database restart), it must not connect afterwards and stay open — an open
 * client keeps the embedded PostgreSQL's last-one-out stop from stopping it (test/lifecycle.test.ts).
 */
describe('PgCommitSignal', () => {
  let s: TestServer;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const listeners = async () =>
    Number(
      (
        await s.sql<{ n: string }>(
          `select count(*) as n from pg_stat_activity where application_name = 'docket-events' and datname = current_database()`,
        )
      )[0]!.n,
    );

  beforeAll(async () => {
    s = await startTestServer({ demoData: false });
  });
  afterAll(() => s?.close());

  it('closed while a reconnect is under way, it leaves no connection behind', async () => {
    const before = await listeners();
    for (let round = 0; round < 5; round++) {
      const signal = new PgCommitSignal(s.databaseUrl, createLogger('silent'));
      await signal.start(() => {});
      expect(await listeners()).toBe(before + 1);
      await s.sql(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'docket-events' and datname = current_database()`,
      );
      // The reconnect starts 500 ms after the loss: close just as its connect is in flight.
      await sleep(520 + round * 5);
      await signal.close();
      await sleep(1500);
      expect(await listeners()).toBe(before); // the server's own feed has reconnected too
    }
  });
});
