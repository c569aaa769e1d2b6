/**
 * The realtime bench's Docket process: the real server (startServer, as bench/run.ts and `npm start`
 * run it, with production settings and observeQueries off as main.ts does) on a free port, alone in its
 * process so that its memory and CPU can be read. Started by bench/realtime.ts with --expose-gc; it
 * answers `memory` (after gc), `cpu` (process.cpuUsage), `elu`, `subscribers`, `heapSnapshot` (event streams on the
 * feed), `offers` (when the feed handed each event to the streams) and `profileStart`/`profileStop`.
 */
import './env.js'; // first: NODE_ENV=production before graphql and express load
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config.js';
import { initOrm } from '../src/db/orm.js';
import { startServer } from '../src/server/app.js';
import { buildDocketSchema } from '../src/server/schema.js';
import { systemClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import { memoryAfterGc, now, serveParent, writeSyscalls } from './realtime-shared.js';

async function main(): Promise<void> {
  const url = process.env.BENCH_WS_DATABASE_URL;
  if (!url) throw new Error('BENCH_WS_DATABASE_URL is not set');
  const config = loadConfig();
  const logger = createLogger('silent');
  const orm = await initOrm(url, logger, config.dbPoolMax, false);
  const server = await startServer(
    { config, orm, schema: await buildDocketSchema(), clock: systemClock, logger },
    { port: 0, host: '127.0.0.1' },
  );
  // When the feed hands each event to the subscriptions (first listener to be offered it but the wallboard's).
  let profiler: Session | undefined;
  let offered = { seqs: [] as number[], times: [] as number[] };
  server.realtime.feed.add({
    offer(e) {
      offered.seqs.push(e.seq);
      offered.times.push(now());
    },
  });
  // The feed's own listeners: the wallboard counters (QueueStatsHub) and the one above.
  const baseline = server.realtime.feed.listenerCount;
  serveParent(
    {
      memory: memoryAfterGc,
      cpu: () => process.cpuUsage(),
      writes: writeSyscalls,
      elu: () => performance.eventLoopUtilization(),
      subscribers: () => server.realtime.feed.listenerCount - baseline,
      offers: () => {
        const out = offered;
        offered = { seqs: [], times: [] };
        return out;
      },
      /** BENCH_WS_PROFILE: a CPU profile of part of a round (the parent says where it goes). */
      /** BENCH_WS_HEAP: a heap snapshot after gc (the parent says where it goes). */
      heapSnapshot: async ({ file }: { file: string }) => {
        await memoryAfterGc();
        return writeHeapSnapshot(file);
      },
      profileStart: async () => {
        profiler ??= new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
        await profiler.post('Profiler.start');
      },
      profileStop: async ({ file }: { file: string }) => {
        if (!profiler) return;
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(file, JSON.stringify(profile));
        profiler.disconnect();
        profiler = undefined;
      },
    },
    { url: server.url.replace(/^http/, 'ws'), poolMax: config.dbPoolMax },
    async () => {
      await server.close();
      await orm.close();
    },
  );
}

main().catch((err: Error) => {
  console.error(`[realtime-server] ${err.stack ?? err.message}`);
  process.exit(1);
});
