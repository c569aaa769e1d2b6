/**
 * The realtime bench's floor: the least a process can do to deliver the same frames. A bare `ws`
 * WebSocketServer; one pg connection LISTENing on docket_events and one reading the log after a cursor
 * (the feed's columns and query, one read at a time, again if woken meanwhile); each event serialised
 * once into Docket's own `next` frame (bench/realtime-shared.ts) and written to every client whose
 * filter and rights select it (the same `deliverable` check Docket's streams make). No authentication
 * (a client says who it is in its first message), no GraphQL, no per-client work beyond the check and
 * the write (with BENCH_WS_FLOOR_CORK=1, the frames of one read leave in one write per socket, as
 * Docket's do). Started by bench/realtime.ts with --expose-gc.
 */
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { deliverable, type Audience, type EventFilter } from '../src/events/event-filter.js';
import { EVENTS_CHANNEL } from '../src/events/event-log.js';
import { FEED_EVENT_COLUMNS, rowToFeedEvent, type FeedEventRow } from '../src/events/feed-event.js';
import {
  memoryAfterGc,
  nextFrame,
  now,
  serveParent,
  writeSyscalls,
  type FloorHello,
} from './realtime-shared.js';

interface Subscriber {
  socket: WebSocket;
  /** The TCP stream under it. */
  stream: Duplex;
  audience: Audience;
  filter: EventFilter;
}

const BATCH = 500;
/** BENCH_WS_FLOOR_CORK=1: each read's frames leave in one write per socket, as Docket's do. */
const cork = process.env.BENCH_WS_FLOOR_CORK === '1';
const POLL_MS = 2000;

async function main(): Promise<void> {
  const url = process.env.BENCH_WS_DATABASE_URL;
  if (!url) throw new Error('BENCH_WS_DATABASE_URL is not set');
  const requestersSeeOrganizationTickets = process.env.REQUESTERS_SEE_ORGANIZATION_TICKETS === 'true';

  const subscribers = new Set<Subscriber>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1_048_576 });
  wss.on('connection', (socket, req) => {
    let sub: Subscriber | undefined;
    socket.on('error', () => socket.terminate());
    socket.once('message', (data) => {
      try {
        const hello = JSON.parse(String(data)) as FloorHello;
        sub = {
          socket,
          stream: req.socket,
          audience: { actor: hello.actor, visibility: { requestersSeeOrganizationTickets } },
          filter: hello.filter,
        };
        subscribers.add(sub);
      } catch {
        socket.close(4400, 'Send {"actor": …, "filter": …} first');
      }
    });
    socket.once('close', () => {
      if (sub) subscribers.delete(sub);
    });
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const port = (wss.address() as AddressInfo).port;

  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  let cursor = Number(
    (await reader.query<{ s: string }>('select last_seq as s from event_sequence where id = 1')).rows[0]?.s ??
      0,
  );
  /** When each event's read returned (as Docket's feed offers it to its streams). */
  let offered = { seqs: [] as number[], times: [] as number[] };
  let reading: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const drain = async () => {
    do {
      again = false;
      for (;;) {
        const { rows } = await reader.query<FeedEventRow>(
          `select ${FEED_EVENT_COLUMNS} from ticket_event where seq > $1 order by seq limit $2`,
          [cursor, BATCH],
        );
        if (rows.length === 0 || stopped) break;
        const t = now();
        for (const row of rows) {
          offered.seqs.push(Number(row.seq));
          offered.times.push(t);
        }
        const corked = new Set<Duplex>();
        for (const row of rows) {
          const e = rowToFeedEvent(row);
          const frame = Buffer.from(nextFrame(e));
          for (const s of subscribers) {
            if (!deliverable(s.audience, s.filter, e)) continue;
            if (cork && !corked.has(s.stream)) {
              s.stream.cork();
              corked.add(s.stream);
            }
            s.socket.send(frame, { binary: false });
          }
          cursor = e.seq;
        }
        for (const stream of corked) stream.uncork();
        if (rows.length < BATCH) break;
      }
    } while (again && !stopped);
  };
  const wake = () => {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    reading = drain()
      .catch((err: Error) => console.error(`[realtime-floor] reading the log failed: ${err.message}`))
      .finally(() => (reading = undefined));
  };

  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  listener.on('notification', wake);
  await listener.query(`listen ${EVENTS_CHANNEL}`);
  const poll = setInterval(wake, POLL_MS);
  wake();

  serveParent(
    {
      memory: memoryAfterGc,
      cpu: () => process.cpuUsage(),
      writes: writeSyscalls,
      elu: () => performance.eventLoopUtilization(),
      subscribers: () => subscribers.size,
      offers: () => {
        const out = offered;
        offered = { seqs: [], times: [] };
        return out;
      },
    },
    { url: `ws://127.0.0.1:${port}/` },
    async () => {
      stopped = true;
      clearInterval(poll);
      for (const s of subscribers) s.socket.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await reading;
      await listener.end();
      await reader.end();
    },
  );
}

main().catch((err: Error) => {
  console.error(`[realtime-floor] ${err.stack ?? err.message}`);
  process.exit(1);
});
