import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agenda, Job } from 'agenda';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { RetryPolicy } from './backoff.js';
import {
  claim,
  nextDue,
  record,
  type DeliveryOutcome,
  type DeliveryRow,
  type RecordedOutcome,
} from './delivery-queue.js';

/** How one queue's deliveries are sent (notification mail: src/notify; webhooks: next). */
export interface QueueHandler {
  queue: string;
  /** Sends one delivery. Must not throw: every failure is an outcome (thrown errors count as transient). */
  deliver(delivery: DeliveryRow): Promise<DeliveryOutcome>;
  /** In the transaction that records the outcomes: e.g. an event for each delivery that FAILED for good. */
  onRecorded?(tx: EntityManager, results: RecordedOutcome[]): Promise<void>;
  retry: RetryPolicy;
  /** Deliveries sent at once by one worker (also the claim size). */
  concurrency: number;
  /** How long a claim holds (ms): longer than one send can take, or another worker sends it again. */
  leaseMs: number;
  /**
   * Keep `concurrency` sends in flight and claim again as each one ends (webhooks), instead of
   * claiming a batch and waiting for its slowest send (mail): a slow receiver then holds up only its
   * own sends, never the others'.
   */
  pipeline?: boolean;
}

export interface DispatcherOptions {
  agenda: Agenda;
  em: EntityManager;
  clock: Clock;
  logger: Logger;
  /** This process, as recorded on the attempts it makes (host:pid). */
  owner: string;
  /** Whether this process runs jobs (false: API only; it never sends). */
  process: boolean;
  /** Jobs per queue that may run at once across all workers (each worker runs at most one per queue). */
  lanes: number;
  /** How often the sweep looks for due deliveries no job is handling (e.g. "10 seconds"). */
  sweepEvery: string;
}

interface LaneData {
  queue: string;
  lane: number;
}

const jobName = (queue: string) => `outbox-deliver:${queue}`;
export const OUTBOX_SWEEP_JOB = 'outbox-sweep';

/**
 * Sends the delivery queue's rows by jobs on the scheduler (Agenda), shared by any number of workers.
 *
 * Each queue has `lanes` Agenda jobs (`outbox-deliver:<queue>`, one per lane, unique by lane). A lane's
 * job claims due rows (`FOR UPDATE SKIP LOCKED`), sends them `concurrency` at a time, records the
 * outcomes, and goes on until nothing is due; then it schedules itself at the next retry, if any.
 * Agenda lets each process run one lane of a queue at a time, so with several workers the lanes
 * spread over them, and the claims keep them from sending the same row twice.
 *
 * Jobs are hints, the table is the truth: `poke` (after new rows were queued) starts a lane now; a
 * sweep every `sweepEvery` pokes any queue with due rows; and when a lane's job completes in this
 * process, the queue is checked once more, which closes the gap between the lane's last claim and its
 * job being saved.
 */
export class OutboxDispatcher {
  private readonly handlers = new Map<string, QueueHandler>();
  private readonly rr = new Map<string, number>();
  private readonly pokeTimers = new Map<string, NodeJS.Timeout>();
  private readonly lastPoke = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly local = new Map<string, { again: boolean }>();
  private stopping = false;

  constructor(private readonly o: DispatcherOptions) {
    o.agenda.define(OUTBOX_SWEEP_JOB, () => this.sweep());
  }

  register(handler: QueueHandler): void {
    this.handlers.set(handler.queue, handler);
    this.o.agenda.define<LaneData>(jobName(handler.queue), (job) => this.runLane(job), {
      lockLimit: 1,
      concurrency: 1,
      lockLifetime: handler.leaseMs * 2,
    });
    this.o.agenda.on(`complete:${jobName(handler.queue)}`, () => {
      if (this.stopping) return;
      nextDue(this.o.em.fork(), handler.queue)
        .then((at) => {
          if (at && at.getTime() <= this.o.clock.now().getTime()) this.poke(handler.queue);
        })
        .catch(() => {}); // the sweep covers it
    });
  }

  /** After the scheduler started: the sweep, and a first look at what is due. */
  async start(): Promise<void> {
    if (!this.o.process) return;
    await this.o.agenda.every(this.o.sweepEvery, OUTBOX_SWEEP_JOB, undefined, { skipImmediate: false });
  }

  /**
   * Starts a lane of `queue` now (round robin over the lanes). At most one poke per queue per 20 ms
   * from this process; a poke asked for meanwhile is sent at the end of that window.
   */
  poke(queue: string): void {
    if (this.stopping || this.pokeTimers.has(queue)) return;
    const wait = Math.max(0, (this.lastPoke.get(queue) ?? 0) + 20 - Date.now());
    const fire = () => {
      this.pokeTimers.delete(queue);
      this.lastPoke.set(queue, Date.now());
      const lane = (this.rr.get(queue) ?? 0) % this.o.lanes;
      this.rr.set(queue, lane + 1);
      this.track(
        this.schedule(queue, lane, this.o.clock.now()).catch((err: Error) =>
          this.o.logger.warn({ err, queue }, 'outbox: could not start a delivery job (the sweep will)'),
        ),
      );
    };
    if (wait === 0) fire();
    else {
      const t = setTimeout(fire, wait);
      t.unref();
      this.pokeTimers.set(queue, t);
    }
  }

  private async schedule(queue: string, lane: number, at: Date): Promise<void> {
    await this.o.agenda
      .create<LaneData>(jobName(queue), { queue, lane })
      .unique({ 'data.queue': queue, 'data.lane': lane })
      .schedule(at)
      .save();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  /**
   * In a process that runs jobs, after it queued rows itself: drain `queue` here at once (one local
   * drain per queue at a time; a kick during it drains again), besides poking a lane for the other
   * workers. This skips the round trip through the job store for the common case; claims keep the
   * local drain and the lanes from sending a row twice.
   */
  kick(queue: string): void {
    this.poke(queue);
    const handler = this.handlers.get(queue);
    if (!handler || !this.o.process || this.stopping) return;
    const state = this.local.get(queue);
    if (state) {
      state.again = true;
      return;
    }
    const mine = { again: false };
    this.local.set(queue, mine);
    const run = async () => {
      do {
        mine.again = false;
        await this.drain(handler);
      } while (mine.again && !this.stopping);
    };
    this.track(
      run()
        .catch((err: Error) =>
          this.o.logger.warn({ err, queue }, 'outbox: a local drain failed (the jobs retry)'),
        )
        .finally(() => this.local.delete(queue)),
    );
  }

  /** Pokes every queue that has a delivery due now; used by the sweep job. */
  async sweep(): Promise<void> {
    for (const queue of this.handlers.keys()) {
      const at = await nextDue(this.o.em.fork(), queue);
      if (at && at.getTime() <= this.o.clock.now().getTime()) this.poke(queue);
    }
  }

  private async runLane(job: Job<LaneData>): Promise<void> {
    const handler = this.handlers.get(job.attrs.data.queue);
    if (!handler) return;
    await this.track(this.drain(handler));
    // Nothing due now: come back at the next retry (Agenda saves the job with it when this returns).
    const next = await nextDue(this.o.em.fork(), handler.queue);
    if (next && !this.stopping) job.schedule(new Date(Math.max(next.getTime(), Date.now())));
  }

  /** Claims, sends and records until nothing is due (or the process is stopping). Returns how many were sent. */
  async drain(handler: QueueHandler): Promise<number> {
    if (handler.pipeline) return this.drainPipelined(handler);
    let sent = 0;
    while (!this.stopping) {
      const em = this.o.em.fork();
      const claimed = await claim(em, handler.queue, {
        owner: this.o.owner,
        limit: handler.concurrency,
        leaseMs: handler.leaseMs,
        now: this.o.clock.now(),
      });
      if (!claimed.length) break;
      const results = await Promise.all(
        claimed.map(async (delivery) => ({
          delivery,
          outcome: await handler
            .deliver(delivery)
            .catch((err: Error): DeliveryOutcome => ({ ok: false, permanent: false, error: err.message })),
        })),
      );
      await em.transactional(async (tx) => {
        const recorded = await record(tx, results, {
          owner: this.o.owner,
          now: this.o.clock.now(),
          retry: handler.retry,
        });
        await handler.onRecorded?.(tx, recorded);
      });
      sent += results.filter((r) => r.outcome.ok).length;
    }
    return sent;
  }

  /**
   * The pipelined drain: up to `concurrency` sends in flight; whenever some end, their outcomes are
   * recorded together (one transaction) and the free slots are claimed again. Ends when nothing is due
   * and nothing is in flight.
   */
  private async drainPipelined(handler: QueueHandler): Promise<number> {
    type Result = { delivery: DeliveryRow; outcome: DeliveryOutcome };
    const inFlight = new Set<Promise<void>>();
    let finished: Result[] = [];
    let sent = 0;
    let dry = false;
    const recordFinished = async () => {
      if (!finished.length) return;
      const results = finished;
      finished = [];
      await this.o.em.fork().transactional(async (tx) => {
        const recorded = await record(tx, results, {
          owner: this.o.owner,
          now: this.o.clock.now(),
          retry: handler.retry,
        });
        await handler.onRecorded?.(tx, recorded);
      });
      sent += results.filter((r) => r.outcome.ok).length;
    };
    try {
      while (true) {
        const free = handler.concurrency - inFlight.size;
        if (free > 0 && !dry && !this.stopping) {
          const claimed = await claim(this.o.em.fork(), handler.queue, {
            owner: this.o.owner,
            limit: free,
            leaseMs: handler.leaseMs,
            now: this.o.clock.now(),
          });
          dry = claimed.length === 0;
          for (const delivery of claimed) {
            const p: Promise<void> = handler
              .deliver(delivery)
              .catch((err: Error): DeliveryOutcome => ({ ok: false, permanent: false, error: err.message }))
              .then((outcome) => {
                finished.push({ delivery, outcome });
                inFlight.delete(p);
              });
            inFlight.add(p);
          }
        }
        if (!inFlight.size && !finished.length) {
          if (dry || this.stopping) break;
          continue;
        }
        if (!finished.length) await Promise.race(inFlight);
        // Let the sends that end together finish together: one recording and one claim for all of them.
        await new Promise((r) => setImmediate(r));
        await recordFinished();
        // A recorded send may have freed the next delivery of its key: claim again.
        dry = false;
      }
    } finally {
      await Promise.allSettled([...inFlight]);
      await recordFinished();
    }
    return sent;
  }

  /** Stops poking and claiming; sends in flight finish and are recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.pokeTimers.values()) clearTimeout(t);
    this.pokeTimers.clear();
    await Promise.allSettled([...this.running]);
  }
}
