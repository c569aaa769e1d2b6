/**
 * The load generator, in a worker thread so that it does not share the servers' event loop: a fixed
 * number of requests in flight over keep-alive connections, for a fixed time.
 */
import http from 'node:http';
import { parentPort } from 'node:worker_threads';
import type { LoadRequest, LoadResult } from './load.js';

interface Reply {
  status: number;
  body: Buffer;
}

function send(agent: http.Agent, url: URL, headers: Record<string, string>, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: LoadRequest): Promise<LoadResult> {
  const url = new URL(job.url);
  const body = Buffer.from(job.body);
  // A fresh pool per round: the servers may close idle connections between rounds.
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + job.durationMs;

  const lane = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const reply = await send(agent, url, job.headers, body);
        const ms = performance.now() - t0;
        bytes += reply.body.length;
        if (reply.status !== 200 || reply.body.includes('"errors":')) {
          errors++;
          firstError ??= `HTTP ${reply.status}: ${reply.body.subarray(0, 300).toString('utf8')}`;
        } else {
          latencies.push(ms);
        }
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { ok: sorted.length, errors, firstError, bytes, elapsedMs, latencies: sorted };
}

parentPort!.on('message', (job: LoadRequest) => {
  run(job).then(
    (result) => parentPort!.postMessage(result, [result.latencies.buffer as ArrayBuffer]),
    (err: Error) => parentPort!.postMessage({ fatal: err.message }),
  );
});
