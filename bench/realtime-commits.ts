/**
 * The realtime bench's commit clock: an otherwise idle process LISTENing on docket_events, noting when
 * each transaction's NOTIFY arrives. PostgreSQL sends it at commit, in commit order, with the
 * transaction's last sequence (src/events/event-log.ts), so an event's commit time is the arrival of
 * the first notification whose sequence is at or above the event's. Timing commits here, rather than
 * where the writer's `await` resumes, keeps the writer's own busy event loop out of the measurement.
 */
import pg from 'pg';
import { EVENTS_CHANNEL } from '../src/events/event-log.js';
import { now, serveParent } from './realtime-shared.js';

async function main(): Promise<void> {
  const url = process.env.BENCH_WS_DATABASE_URL;
  if (!url) throw new Error('BENCH_WS_DATABASE_URL is not set');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let seqs: number[] = [];
  let times: number[] = [];
  client.on('notification', (n) => {
    const t = now();
    seqs.push(Number(n.payload));
    times.push(t);
  });
  await client.query(`listen ${EVENTS_CHANNEL}`);
  serveParent(
    {
      /** The notifications since the last call: [last seq of the transaction, arrival ms] in arrival order. */
      take: () => {
        const out = { seqs, times };
        seqs = [];
        times = [];
        return out;
      },
    },
    { pid: process.pid },
    () => client.end(),
  );
}

main().catch((err: Error) => {
  console.error(`[realtime-commits] ${err.stack ?? err.message}`);
  process.exit(1);
});
