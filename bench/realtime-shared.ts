/**
 * What the realtime bench's processes share (bench/realtime.md): the subscription document, the frame
 * the floor sends (byte for byte the `next` message graphql-ws sends for that document), who each
 * simulated client is, and a small request/reply protocol over the child processes' IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Actor } from '../src/access/actor.js';
import type { EventFilter } from '../src/events/event-filter.js';
import type { FeedEvent } from '../src/events/feed-event.js';
import { toGlobalId } from '../src/server/global-id.js';

/**
 * What every simulated dashboard subscribes to: the event's own fields, all of which the floor can
 * produce from the log row alone (no `ticket` or `actor`: those would cost Docket a load the floor
 * does not make).
 */
export const SUBSCRIPTION = `subscription TicketEvents($filter: TicketEventFilter) { ticketEvents(filter: $filter) { seq type actorKind ticketId payload occurredAt } }`;

/** The graphql-ws subscription id every client uses (one subscription per connection). */
export const SUBSCRIPTION_ID = '1';

/**
 * The text of the graphql-ws `next` message Docket sends for SUBSCRIPTION and this event: the floor
 * serialises it once per event and sends the same bytes to every client that matches.
 */
export function nextFrame(e: FeedEvent): string {
  return JSON.stringify({
    id: SUBSCRIPTION_ID,
    type: 'next',
    payload: {
      data: {
        ticketEvents: {
          seq: e.seq,
          type: e.type,
          actorKind: e.actorKind,
          ticketId: toGlobalId('Ticket', e.ticketId),
          payload: e.payload,
          occurredAt: e.occurredAt.toISOString(),
        },
      },
    },
  });
}

export type ClientKind = 'all' | 'team' | 'assignee' | 'requester';

/** One simulated dashboard: who it is, and what it asks for (the same filter, in each server's terms). */
export interface ClientSpec {
  kind: ClientKind;
  /** Docket: the bearer token for connection_init. */
  token: string;
  /** Docket: the subscription's variables (global ids). */
  variables: Record<string, unknown>;
  /** The floor, and the delivery check: who the client is and its filter (bare UUIDs). */
  actor: Actor;
  filter: EventFilter;
}

/** The floor's whole protocol: the client's first (and only) message. */
export interface FloorHello {
  actor: Actor;
  filter: EventFilter;
}

/** One event of a round, as the delivery check needs it: the log row, and when its change committed. */
export interface RoundEvent extends FeedEvent {
  /** ms since the epoch (performance.timeOrigin + performance.now() in the writer), or NaN if unknown. */
  committedAt: number;
}

/** What a client process measured for one round. */
export interface DeliveryStats {
  /** Deliveries of round events that the client's filter and rights select (latency measured). */
  delivered: number;
  /** Deliveries the filters and rights call for. */
  expected: number;
  /** Expected deliveries that never arrived (before the drain timeout). */
  missing: number;
  /** Deliveries of an event the client should not have had, or more than once. */
  unexpected: number;
  /** Latencies (receipt − commit) of the delivered events, ms, sorted. */
  latencies: Float64Array;
  /** When the last delivery arrived (ms since the epoch). */
  lastReceipt: number;
  /** Connections the server closed during the round, error messages received. */
  closedByServer: number;
  errors: number;
  firstError?: string;
}

/** Server process memory, after gc. */
export interface MemorySample {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

/** Memory after full collections (three, a turn apart: finalizers and weak maps settle late). */
export async function memoryAfterGc(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** Write system calls this process made so far (Linux: /proc/self/io `syscw`), or NaN elsewhere. */
export function writeSyscalls(): number {
  try {
    const m = /^syscw: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// Request/reply over a child's IPC channel.

interface Request {
  rid: number;
  cmd: string;
  args?: unknown;
}
interface Reply {
  rid: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Child side: answers the parent's requests with `handlers`, announces `ready`, exits with the parent. */
export function serveParent(
  handlers: Record<string, (args: never) => unknown>,
  ready: unknown,
  onExit?: () => Promise<void>,
): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('Run by bench/realtime.js (as a child process with an IPC channel)');
  const exit = async (code: number) => {
    await onExit?.().catch(() => {});
    process.exit(code);
  };
  process.on('disconnect', () => void exit(0));
  process.on('message', (m: Request) => {
    if (m.cmd === 'exit') {
      void (onExit?.() ?? Promise.resolve())
        .catch(() => {})
        .finally(() => send({ rid: m.rid, ok: true } satisfies Reply, () => process.exit(0)));
      return;
    }
    const handler = handlers[m.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${m.cmd}`);
        return handler(m.args as never);
      })
      .then(
        (result) => send({ rid: m.rid, ok: true, result } satisfies Reply),
        (err: Error) => send({ rid: m.rid, ok: false, error: err.stack ?? String(err) } satisfies Reply),
      );
  });
  send({ rid: 0, ok: true, result: ready } satisfies Reply);
}

/** Parent side: one child process of the bench. */
export class Child {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exitedWith?: string;
  readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitedWith = signal ?? `code ${code}`;
        for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${this.exitedWith})`));
        this.pending.clear();
        resolve();
      });
    });
    proc.on('message', (m: Reply) => {
      const p = this.pending.get(m.rid);
      if (!p) return;
      this.pending.delete(m.rid);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
  }

  /** Forks `file` (relative to this module) and waits for its ready message. */
  static async start<R>(
    name: string,
    file: string,
    opts: { execArgv?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<{ child: Child; ready: R }> {
    const proc = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
      execArgv: opts.execArgv ?? [],
      env: opts.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const child = new Child(name, proc);
    Child.all.add(child);
    void child.exited.then(() => Child.all.delete(child));
    const ready = await child.wait<R>(0, opts.timeoutMs ?? 120_000).catch(async (err: Error) => {
      await child.kill();
      throw err;
    });
    return { child, ready };
  }

  /** Every child still running (for the clean-up on failure). */
  static readonly all = new Set<Child>();

  private wait<T>(rid: number, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.exitedWith) return reject(new Error(`${this.name} exited (${this.exitedWith})`));
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    const rid = this.next++;
    const answer = this.wait<T>(rid, timeoutMs);
    this.proc.send({ rid, cmd, args } satisfies Request);
    return answer;
  }

  /** Asks the child to exit (it closes what it holds first); kills it if it has not within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exitedWith) return;
    await this.call('exit', undefined, graceMs).catch(() => {});
    const gone = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!gone) await this.kill();
  }

  async kill(): Promise<void> {
    if (this.exitedWith) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

// ---------------------------------------------------------------------------------------------------
// Settings.

export { numberFromEnv } from './stats.js';

export function listFromEnv(name: string, fallback: number[], min: number): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < min))
    throw new Error(
      `${name} must be a comma-separated list of whole numbers ≥ ${min} (got ${JSON.stringify(raw)})`,
    );
  return list;
}
