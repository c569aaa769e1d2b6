import { Worker } from 'node:worker_threads';
import { quantile } from './stats.js';

/** One round of load against one endpoint. */
export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  durationMs: number;
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
}

export interface RoundStats {
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
        });
      });
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
