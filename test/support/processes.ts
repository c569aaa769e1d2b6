import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** The compiled entry point (`npm test` builds dist/ first). */
export const ENTRY = new URL('../../dist/src/main.js', import.meta.url).pathname;

export interface DocketProcess {
  proc: ChildProcess;
  /** Everything it printed so far. */
  log: string[];
  /** `serve` only: its GraphQL URL. */
  url?: string;
  running(): boolean;
  /** SIGTERM (or `signal`), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Starts `docket serve` or `docket worker` as its own process on an existing, migrated database, with
 * the test JWT secret, and waits until it says it is ready.
 */
export async function startDocket(
  command: 'serve' | 'worker',
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<DocketProcess> {
  if (!existsSync(ENTRY)) throw new Error('dist/src/main.js is missing: run `npm run build` (npm test does)');
  const port = command === 'serve' ? await freePort() : undefined;
  const log: string[] = [];
  const proc = spawn(process.execPath, [ENTRY, command], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'test-secret-test-secret-test-secret-1234',
      MIGRATE_ON_START: 'false',
      DEMO_DATA: 'false',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_USER_PER_MINUTE: '1000000',
      RATE_LIMIT_KEY_PER_MINUTE: '1000000',
      // Tests that want mail turn it on (with an SMTP server of their own).
      NOTIFICATIONS: 'off',
      WEBHOOKS: 'off',
      ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const running = () => proc.exitCode === null && proc.signalCode === null;
  const ready = command === 'serve' ? 'Docket is serving GraphQL' : 'worker is running the scheduler';
  const until = Date.now() + 60_000; // generous: a loaded machine (CI, parallel suites) starts slowly
  while (!log.join('').includes(ready)) {
    if (Date.now() > until || !running()) {
      proc.kill('SIGKILL');
      throw new Error(`docket ${command} did not start:\n${log.join('')}`);
    }
    await sleep(50);
  }
  return {
    proc,
    log,
    url: port ? `http://127.0.0.1:${port}/graphql` : undefined,
    running,
    async stop(signal = 'SIGTERM') {
      if (!running()) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    },
  };
}
