import { Worker } from 'node:worker_threads';
import { quantile } from './stats.js';

/** One round of load against one endpoint. */
export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  durationMs: number;
  /** Bodies sent in turn instead of `body` (e.g. one per ticket, so requests do not queue on one row). */
  bodies?: string[];
  /**
   * Status changes that carry the version they expect: lane k moves the tickets at k, k + concurrency, …
   * in turn between two statuses, each request with the version the last answer gave. The state after
   * the round comes back in the result, for the next round.
   */
  chain?: LoadChain;
}

/** See LoadRequest.chain. `query` takes `$i: { ticketId, to, expectedVersion }`. */
export interface LoadChain {
  query: string;
  statuses: [string, string];
  tickets: { id: string; version: number; next: 0 | 1 }[];
}

export interface LoadResult {
  /** Successful responses (HTTP 200 without GraphQL errors). */
  ok: number;
  errors: number;
  firstError?: string;
  bytes: number;
  elapsedMs: number;
  /** Latencies of the successful requests in ms, sorted. */
  latencies: Float64Array;
  /** With a chain: its tickets' versions after the round. */
  chain?: LoadChain;
}

export interface RoundStats {
  /** With a chain: its state after the round. */
  chain?: LoadChain;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
  firstError?: string;
  bytesPerResponse: number;
}

/** Drives the load-generator worker; one job at a time. */
export class LoadGenerator {
  private readonly worker = new Worker(new URL('./load-worker.js', import.meta.url));

  run(job: LoadRequest): Promise<RoundStats> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.worker.once('error', onError);
      this.worker.once('message', (msg: LoadResult | { fatal: string }) => {
        this.worker.off('error', onError);
        if ('fatal' in msg) return reject(new Error(`load generator: ${msg.fatal}`));
        const n = msg.ok + msg.errors;
        resolve({
          rps: (msg.ok / msg.elapsedMs) * 1000,
          p50: quantile(msg.latencies, 0.5),
          p99: quantile(msg.latencies, 0.99),
          ok: msg.ok,
          errors: msg.errors,
          firstError: msg.firstError,
          bytesPerResponse: n ? msg.bytes / n : 0,
          chain: msg.chain,
        });
      });
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
