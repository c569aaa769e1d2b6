import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { embeddedPgCtl } from '../src/db/embedded.js';
import {
  docket,
  groupMembers,
  processesMentioning,
  runCommand,
  STACK_LINE,
  startInGroup,
  userEnv,
  type GroupProcess,
} from './support/commands.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { freePort } from './support/processes.js';

/**
 * Signals and the command line, as a user and a process manager meet them (issue 11): `npm start`
 * stopped by Ctrl-C (SIGINT to the whole process group) and by SIGTERM to the npm process; the embedded
 * PostgreSQL stopped behind the server's back; the CLI commands on every exit path; and start-up
 * errors that say what to fix in one line. Each `npm start` here runs on a data folder of its own.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What a command said to the user on stderr, without its JSON log lines (LOG_LEVEL=info here). */
const messages = (stderr: string) => stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'));

describe('npm start, signals and the embedded PostgreSQL', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;

  const pgDir = () => path.join(dir, 'pg');
  const start = (): GroupProcess => startInGroup('npm', ['start'], env);
  const readyz = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
    } catch {
      return 0;
    }
  };
  const nothingLeft = () => {
    expect(processesMentioning(pgDir())).toEqual([]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'docket-lifecycle-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as its own user and must reach the folder
    port = await freePort();
    env = userEnv({
      DOCKET_DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_PG_PORT: String(await freePort()),
    });
  });
  afterAll(async () => {
    await embeddedPgCtl(pgDir(), ['-m', 'immediate', 'stop']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C (SIGINT to the process group) stops everything in order, exit 0, nothing left behind', async () => {
    const server = start();
    await server.waitFor('Docket is serving GraphQL');
    expect(await readyz()).toBe(200);
    // The embedded database runs in a session of its own: the terminal's SIGINT does not reach it.
    expect(processesMentioning(pgDir()).length).toBeGreaterThan(0);

    const sent = Date.now();
    process.kill(-server.proc.pid!, 'SIGINT');
    const { code, at } = await server.exited;
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(10_000);
    const out = server.output();
    expect(out).toContain('"msg":"stopped"');
    expect(out).not.toMatch(STACK_LINE);
    expect(out).not.toMatch(/Unhandled|terminating connection/);
    await sleep(300);
    expect(groupMembers(server.proc.pid!)).toEqual([]);
    nothingLeft();
  }, 240_000);

  it('SIGTERM to the npm process (what a process manager sends) reaches node: exit 0, nothing left', async () => {
    const server = start();
    await server.waitFor('Docket is serving GraphQL');
    const sent = Date.now();
    process.kill(server.proc.pid!, 'SIGTERM');
    const { at } = await server.exited;
    expect(at - sent).toBeLessThan(10_000);
    await sleep(300);
    expect(server.output()).toContain('"msg":"stopped"');
    expect(server.output()).not.toMatch(STACK_LINE);
    expect(groupMembers(server.proc.pid!)).toEqual([]);
    nothingLeft();
  }, 240_000);

  it('the embedded PostgreSQL stopped behind the server’s back is started again; the server stays up', async () => {
    const server = start();
    await server.waitFor('Docket is serving GraphQL');
    await embeddedPgCtl(pgDir(), ['-m', 'fast', '-w', 'stop']);
    const stopped = Date.now();
    let saw503 = false;
    let back: number | undefined;
    while (Date.now() - stopped < 20_000) {
      const status = await readyz();
      if (status === 503) saw503 = true;
      if (status === 200 && saw503) {
        back = Date.now() - stopped;
        break;
      }
      expect(status).not.toBe(0); // the server process answers throughout
      await sleep(100);
    }
    expect(saw503).toBe(true);
    expect(back).toBeDefined();
    expect(back!).toBeLessThan(10_000);
    expect(server.output()).toContain('starting it again');
    process.kill(-server.proc.pid!, 'SIGINT');
    expect((await server.exited).code).toBe(0);
    expect(server.output()).not.toMatch(STACK_LINE);
    nothingLeft();
  }, 240_000);

  it('a second Ctrl-C, a second or more after the first, exits at once (code 1) and stops the database it started', async () => {
    const server = start();
    // During start-up, once the database is up: the graceful stop waits for start-up to finish.
    await server.waitFor('started the embedded PostgreSQL');
    process.kill(-server.proc.pid!, 'SIGINT');
    await sleep(1200);
    process.kill(-server.proc.pid!, 'SIGINT');
    const { code } = await server.exited;
    // Start-up may have finished in between (exit 0); forced, it is 1. Either way nothing is left.
    expect([0, 1]).toContain(code);
    if (code === 1) expect(server.output()).toContain('SIGINT again: exiting now');
    await sleep(300);
    nothingLeft();
  }, 240_000);

  it('`npm run token` stops the database it started on every exit path, and refuses another checkout’s', async () => {
    // A data folder never used: the database is made, found empty, and stopped again.
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'docket-fresh-'));
    chmodSync(fresh, 0o755);
    try {
      const empty = await runCommand('npm', ['run', '-s', 'token', '--', 'alice@docket.local'], {
        ...env,
        DOCKET_DATA_DIR: fresh,
        EMBEDDED_PG_PORT: String(await freePort()),
      });
      expect([empty.code, empty.stdout, messages(empty.stderr)]).toEqual([
        1,
        '',
        ['This database has no users yet: start the server once (npm start) or run "npm run seed"'],
      ]);
      expect(processesMentioning(fresh)).toEqual([]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
    // `npm run seed` migrates and loads the demo data, and stops the database it started.
    const seeded = await runCommand('npm', ['run', '-s', 'seed'], env);
    expect(seeded.code).toBe(0);
    nothingLeft();
    // An unknown user: the message, exit 1, and the embedded database it started is stopped again.
    const unknown = await runCommand('npm', ['run', '-s', 'token', '--', 'nobody@example.org'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No user nobody@example.org');
    nothingLeft();
    // A known one: a token, and again nothing left running.
    const known = await runCommand('npm', ['run', '-s', 'token', '--', 'alice@docket.local'], env);
    expect(known.code).toBe(0);
    expect(known.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    nothingLeft();

    // While the server runs, the token command uses its database and leaves it running.
    const server = start();
    await server.waitFor('Docket is serving GraphQL');
    const shared = await runCommand('npm', ['run', '-s', 'token', '--', 'alice@docket.local'], env);
    expect(shared.code).toBe(0);
    expect(await readyz()).toBe(200);
    const token = shared.stdout.trim();
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { email } }' }),
    });
    expect(((await res.json()) as { data: unknown }).data).toEqual({
      viewer: { email: 'alice@docket.local' },
    });

    // Another checkout (another data folder) on the same EMBEDDED_PG_PORT is refused in one line.
    const other = mkdtempSync(path.join(os.tmpdir(), 'docket-other-'));
    try {
      const foreign = await docket(['token', 'alice@docket.local'], { ...env, DOCKET_DATA_DIR: other });
      expect(foreign.code).toBe(1);
      expect(messages(foreign.stderr)).toHaveLength(1);
      expect(foreign.stderr).toMatch(/another checkout's.*EMBEDDED_PG_PORT/);
      expect(foreign.stdout).toBe('');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    process.kill(-server.proc.pid!, 'SIGINT');
    expect((await server.exited).code).toBe(0);
    nothingLeft();
  }, 240_000);
});

describe('errors that say what to fix', () => {
  let s: TestServer;
  const base = () =>
    userEnv({ DATABASE_URL: s.databaseUrl, JWT_SECRET: 'test-secret-test-secret-test-secret-1234' });

  beforeAll(async () => {
    s = await startTestServer({ demoData: false });
  });
  afterAll(() => s.close());

  /** One line on stderr, no stack, exit 1. */
  const oneLine = (r: { code: number | null; stderr: string; stdout: string }) => {
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(STACK_LINE);
    return r.stderr.trim();
  };

  it('an unreachable DATABASE_URL is named, with what to check', async () => {
    const r = await docket(['serve'], {
      ...base(),
      DATABASE_URL: 'postgresql://docket:secret@127.0.0.1:1/docket',
    });
    const line = oneLine(r);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(
      /Cannot reach the database at DATABASE_URL \(postgresql:\/\/docket:\*\*\*@127\.0\.0\.1:1\/docket\)/,
    );
    expect(line).not.toContain('secret');
  });

  it('a port in use is one line (no WebSocket server stack before it)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await docket(['serve'], {
        ...base(),
        PORT: String(port),
        HOST: '127.0.0.1',
        MIGRATE_ON_START: 'false',
      });
      const out = oneLine(r);
      expect(out).toBe(
        `docket: PORT ${port} is already in use (another Docket, or another program, listens there): stop it or set PORT`,
      );
      expect(r.stdout).not.toMatch(/Unhandled|"level":50/);
    } finally {
      taken.close();
    }
  });

  it('every bad variable at once, one line each', async () => {
    const r = await docket(['serve'], { ...base(), PORT: 'eighty', JWT_TTL: '1w', INTROSPECTION: 'maybe' });
    const lines = oneLine(r).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.startsWith('Invalid configuration: '))).toBe(true);
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['PORT', 'INTROSPECTION', 'JWT_TTL']);
  });

  it('`apikey revoke` of a key that does not exist says so, without SQL', async () => {
    for (const target of ['nonexistent', 'dk_00000000', '00000000-0000-4000-8000-000000000000']) {
      const r = await docket(['apikey', 'revoke', target], base());
      expect(oneLine(r)).toBe(`apikey: no API key ${target} (give its id or prefix; see "apikey list")`);
    }
  });
});
