/**
 * The load generator, in a worker thread so that it does not share the servers' event loop: a fixed
 * number of requests in flight over keep-alive connections, for a fixed time.
 */
import http from 'node:http';
import { parentPort } from 'node:worker_threads';
import type { LoadChain, LoadRequest, LoadResult } from './load.js';

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
  const bodies = job.bodies?.map((b) => Buffer.from(b));
  let turn = 0;
  const chain = job.chain;
  /** The next request of lane k: a chain's status change, one of the bodies in turn, or the body. */
  const next = (k: number): { payload: Buffer; ticket?: LoadChain['tickets'][number] } => {
    if (chain) {
      const mine = chain.tickets.filter((_, i) => i % job.concurrency === k);
      const ticket = mine[laneTurns[k]++ % mine.length]!;
      const variables = {
        i: { ticketId: ticket.id, to: chain.statuses[ticket.next], expectedVersion: ticket.version },
      };
      return { payload: Buffer.from(JSON.stringify({ query: chain.query, variables })), ticket };
    }
    if (bodies) return { payload: bodies[turn++ % bodies.length]! };
    return { payload: body };
  };
  const laneTurns = Array.from({ length: job.concurrency }, () => 0);
  // A fresh pool per round: the servers may close idle connections between rounds.
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + job.durationMs;

  const lane = async (_: unknown, k: number) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const { payload, ticket } = next(k);
      try {
        const reply = await send(agent, url, job.headers, payload);
        const ms = performance.now() - t0;
        bytes += reply.body.length;
        if (reply.status !== 200 || reply.body.includes('"errors":[{')) {
          errors++;
          firstError ??= `HTTP ${reply.status}: ${reply.body.subarray(0, 300).toString('utf8')}`;
        } else {
          latencies.push(ms);
          if (ticket) {
            const answer = JSON.parse(reply.body.toString('utf8')) as {
              data: { transitionTicket: { ticket: { version: number } } };
            };
            ticket.version = answer.data.transitionTicket.ticket.version;
            ticket.next = ticket.next === 0 ? 1 : 0;
          }
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
  return { ok: sorted.length, errors, firstError, bytes, elapsedMs, latencies: sorted, chain };
}

parentPort!.on('message', (job: LoadRequest) => {
  run(job).then(
    (result) => parentPort!.postMessage(result, [result.latencies.buffer as ArrayBuffer]),
    (err: Error) => parentPort!.postMessage({ fatal: err.message }),
  );
});
