import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ENTRY } from './processes.js';

/** The repository's root: where `npm start` and `npm run token` run. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The environment a user's shell would give a Docket command: PATH and HOME, nothing of Jest's
 * (no NODE_OPTIONS, no test database), plus `env`.
 */
export function userEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A command run to its end (killed after `timeoutMs`). */
export function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<Finished> {
  const started = Date.now();
  return new Promise((resolve) => {
    const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `node dist/src/main.js <args>` (the compiled entry point; `npm test` builds it). */
export const docket = (args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number) =>
  runCommand(process.execPath, [ENTRY, ...args], env, timeoutMs);

/** A long-running command started in a process group of its own, as a terminal runs `npm start`. */
export interface GroupProcess {
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Waits until its output contains `text`. */
  waitFor(text: string, ms?: number): Promise<void>;
  /** Settles when it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function startInGroup(command: string, args: string[], env: NodeJS.ProcessEnv): GroupProcess {
  const proc = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    proc.on('exit', (code, signal) => r({ code, signal, at: Date.now() })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    proc,
    output: () => out,
    exited,
    async waitFor(text, ms = 120_000) {
      const until = Date.now() + ms;
      while (!out.includes(text)) {
        if (done || Date.now() > until)
          throw new Error(`"${text}" did not appear (${done ? 'exited' : 'timed out'}):\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** Command lines of the processes still running whose command line mentions `needle`. */
export function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(needle) && !line.includes('ps -eo'))
    .map((l) => l.trim());
}

/** Pids still in a process group (empty when every member exited). */
export function groupMembers(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => Number(cols[1]) === pgid)
    .map((cols) => cols.join(' '));
}

/** A stack trace line as Node prints one. */
export const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;
