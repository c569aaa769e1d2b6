import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';

export const BENCH_DATABASE = 'docket_bench';

export interface BenchDatabase {
  url: string;
  /** Where the database lives, for the report. */
  description: string;
  close(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** One short-lived connection for `work` (its statistics reach pg_stat_database when it closes). */
export async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database: `name` (default `docket_bench`) on the server of BENCH_DATABASE_URL (dropped
 * again at the end unless BENCH_KEEP_DB is set), or an embedded PostgreSQL in a temporary folder on a
 * free port.
 */
export async function openBenchDatabase(name = BENCH_DATABASE): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a plain database name: ${name}`);
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (adminUrl) {
    const drop = (c: pg.Client) => c.query(`drop database if exists ${name} with (force)`);
    await withClient(adminUrl, async (c) => {
      await drop(c);
      await c.query(`create database ${name}`);
    });
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      description: `database ${name} on ${url.host} (BENCH_DATABASE_URL)`,
      close: async () => {
        if (!process.env.BENCH_KEEP_DB) await withClient(adminUrl, drop);
      },
    };
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'docket-bench-'));
  // Run as root, PostgreSQL runs as a user of its own, which must be able to reach its data folder.
  chmodSync(tmp, 0o755);
  const port = await freePort();
  try {
    const embedded = await startEmbeddedPostgres({ dir: path.join(tmp, 'pg'), port, persistent: false });
    return {
      url: embedded.url,
      description: `embedded PostgreSQL on port ${port} in ${tmp}`,
      close: async () => {
        await embedded.stop();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
