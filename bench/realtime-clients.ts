/**
 * The realtime bench's subscribers: many WebSocket connections in one process, as cheap per message as
 * possible so that the servers, not the clients, are what is measured. Docket connections speak the
 * graphql-ws protocol directly on `ws` (connection_init with the token, wait for connection_ack, one
 * subscribe); floor connections send their identity and filter. Every frame of a subscribed connection
 * is timed on arrival, and its `seq` read from the fixed prefix both servers send, without parsing the
 * JSON. After a round, `collect` checks every delivery against the filters and rights (the same
 * `deliverable` Docket uses) and returns receipt − commit for each. Started by bench/realtime.ts.
 */
import WebSocket from 'ws';
import type { Audience } from '../src/events/event-filter.js';
import { deliverable } from '../src/events/event-filter.js';
import {
  SUBSCRIPTION,
  SUBSCRIPTION_ID,
  now,
  serveParent,
  sleep,
  type ClientSpec,
  type DeliveryStats,
  type FloorHello,
  type RoundEvent,
} from './realtime-shared.js';

export type Mode = 'docket' | 'floor';

/** Every event frame either server sends starts with these bytes, then the sequence number. */
const PREFIX = Buffer.from(
  `{"id":"${SUBSCRIPTION_ID}","type":"next","payload":{"data":{"ticketEvents":{"seq":`,
);
const VISIBILITY = {
  requestersSeeOrganizationTickets: process.env.REQUESTERS_SEE_ORGANIZATION_TICKETS === 'true',
};

/** (client, seq, receipt ms) triples in growing chunks of typed arrays. */
class Receipts {
  private static readonly CHUNK = 3 * 65_536;
  private readonly chunks: Float64Array[] = [];
  private current = new Float64Array(0);
  private used = 0;
  count = 0;

  push(client: number, seq: number, t: number): void {
    if (this.used === this.current.length) {
      this.current = new Float64Array(Receipts.CHUNK);
      this.chunks.push(this.current);
      this.used = 0;
    }
    const c = this.current;
    c[this.used] = client;
    c[this.used + 1] = seq;
    c[this.used + 2] = t;
    this.used += 3;
    this.count++;
  }

  forEach(fn: (client: number, seq: number, t: number) => void): void {
    for (const chunk of this.chunks) {
      const end = chunk === this.current ? this.used : chunk.length;
      for (let i = 0; i < end; i += 3) fn(chunk[i]!, chunk[i + 1]!, chunk[i + 2]!);
    }
  }
}

interface Conn {
  index: number;
  spec: ClientSpec;
  audience: Audience;
  socket: WebSocket;
  subscribed: boolean;
}

interface ConnSet {
  mode: Mode;
  conns: Conn[];
  receipts: Receipts;
  recording: boolean;
  closing: boolean;
  /** The first frames since `start` (for the same-bytes check). */
  frames: string[];
  closedByServer: number;
  errors: number;
  firstError?: string;
}

const sets = new Map<string, ConnSet>();

function setOf(label: string): ConnSet {
  const set = sets.get(label);
  if (!set) throw new Error(`no connections labelled ${label}`);
  return set;
}

function onFrame(set: ConnSet, conn: Conn, data: Buffer): void {
  if (!set.recording) return;
  const t = now();
  if (data.length > PREFIX.length && data.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) === 0) {
    let seq = 0;
    for (let i = PREFIX.length; i < data.length; i++) {
      const c = data[i]!;
      if (c < 48 || c > 57) break;
      seq = seq * 10 + c - 48;
    }
    set.receipts.push(conn.index, seq, t);
    if (set.frames.length < 4) set.frames.push(data.toString());
    return;
  }
  set.errors++;
  set.firstError ??= `unexpected frame: ${data.toString().slice(0, 500)}`;
}

function open(set: ConnSet, url: string, index: number, spec: ClientSpec): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    const socket = new WebSocket(url, set.mode === 'docket' ? 'graphql-transport-ws' : [], {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    const conn: Conn = {
      index,
      spec,
      audience: { actor: spec.actor, visibility: VISIBILITY },
      socket,
      subscribed: false,
    };
    socket.on('open', () => {
      if (set.mode === 'docket') {
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${spec.token}` } }),
        );
      } else {
        socket.send(JSON.stringify({ actor: spec.actor, filter: spec.filter } satisfies FloorHello));
        conn.subscribed = true;
        set.conns[index] = conn;
        done();
      }
    });
    socket.on('message', (data: Buffer) => {
      if (conn.subscribed) return onFrame(set, conn, data);
      const text = data.toString();
      if ((JSON.parse(text) as { type?: string }).type !== 'connection_ack')
        return done(new Error(`expected connection_ack, got ${text.slice(0, 300)}`));
      socket.send(
        JSON.stringify({
          id: SUBSCRIPTION_ID,
          type: 'subscribe',
          payload: { operationName: 'TicketEvents', query: SUBSCRIPTION, variables: spec.variables },
        }),
      );
      conn.subscribed = true;
      set.conns[index] = conn;
      done();
    });
    socket.on('error', (err) => done(err));
    socket.on('close', (code, reason) => {
      if (!set.closing && conn.subscribed) {
        set.closedByServer++;
        set.firstError ??= `connection closed by the server: ${code} ${reason.toString()}`;
      }
      done(new Error(`closed before subscribing: ${code} ${reason.toString()}`));
    });
  });
}

async function connect(args: {
  label: string;
  mode: Mode;
  url: string;
  specs: ClientSpec[];
  concurrency: number;
}): Promise<{ opened: number; failed: number; firstError?: string; ms: number }> {
  if (sets.has(args.label)) throw new Error(`${args.label} is connected already`);
  const set: ConnSet = {
    mode: args.mode,
    conns: [],
    receipts: new Receipts(),
    recording: false,
    closing: false,
    frames: [],
    closedByServer: 0,
    errors: 0,
  };
  sets.set(args.label, set);
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < args.specs.length) {
      const i = next++;
      await open(set, args.url, i, args.specs[i]!).catch((err: Error) => {
        failed++;
        firstError ??= err.message;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.specs.length) }, worker));
  return { opened: args.specs.length - failed, failed, firstError, ms: performance.now() - started };
}

/** Forgets what arrived so far and times what arrives from now on. */
function start({ label }: { label: string }): void {
  const set = setOf(label);
  set.receipts = new Receipts();
  set.frames = [];
  set.errors = 0;
  set.closedByServer = 0;
  set.firstError = undefined;
  set.recording = true;
}

function frames({ label }: { label: string }): string[] {
  return setOf(label).frames;
}

/** Waits (up to `timeoutMs`) until `expected` deliveries arrived; then stops timing. */
async function drain(args: { label: string; expected: number; timeoutMs: number }): Promise<number> {
  const set = setOf(args.label);
  const deadline = Date.now() + args.timeoutMs;
  while (set.receipts.count < args.expected && Date.now() < deadline) await sleep(10);
  set.recording = false;
  return set.receipts.count;
}

/** Checks every delivery of the round against its client's filter and rights, and measures it. */
function collect(args: { label: string; events: RoundEvent[] }): DeliveryStats {
  const set = setOf(args.label);
  const conns = set.conns.filter(Boolean);
  const bySeq = new Map(args.events.map((e) => [e.seq, e]));
  const expectedOf = new Int32Array(set.conns.length);
  let expected = 0;
  for (const c of conns) {
    let n = 0;
    for (const e of args.events) if (deliverable(c.audience, c.spec.filter, e)) n++;
    expectedOf[c.index] = n;
    expected += n;
  }

  const got = new Int32Array(set.conns.length);
  const lastSeq = new Float64Array(set.conns.length);
  const latencies = new Float64Array(set.receipts.count);
  let measured = 0;
  let delivered = 0;
  let unexpected = 0;
  let lastReceipt = NaN;
  set.receipts.forEach((client, seq, t) => {
    const c = set.conns[client]!;
    const e = bySeq.get(seq);
    if (!e || !deliverable(c.audience, c.spec.filter, e) || seq <= lastSeq[client]!) {
      unexpected++;
      return;
    }
    lastSeq[client] = seq;
    got[client]!++;
    delivered++;
    if (!(t <= lastReceipt)) lastReceipt = t;
    if (Number.isFinite(e.committedAt)) latencies[measured++] = t - e.committedAt;
  });
  let missing = 0;
  for (const c of conns) missing += Math.max(0, expectedOf[c.index]! - got[c.index]!);
  const sorted = latencies.slice(0, measured).sort();
  return {
    delivered,
    expected,
    missing,
    unexpected,
    latencies: sorted,
    lastReceipt,
    closedByServer: set.closedByServer,
    errors: set.errors,
    firstError: set.firstError,
  };
}

async function close({ label }: { label: string }): Promise<number> {
  const set = sets.get(label);
  if (!set) return 0;
  set.closing = true;
  set.recording = false;
  const open = set.conns.filter((c) => c && c.socket.readyState !== WebSocket.CLOSED);
  await Promise.race([
    Promise.all(
      open.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.socket.once('close', () => resolve());
            c.socket.close(1000, 'bench round over');
          }),
      ),
    ),
    sleep(10_000),
  ]);
  for (const c of open) if (c.socket.readyState !== WebSocket.CLOSED) c.socket.terminate();
  sets.delete(label);
  return open.length;
}

serveParent(
  { connect, start, frames, drain, collect, close, cpu: () => process.cpuUsage() },
  { pid: process.pid },
  async () => {
    for (const label of [...sets.keys()]) await close({ label });
  },
);
