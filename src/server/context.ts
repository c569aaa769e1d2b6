import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import type { Config } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { UseCaseContext } from '../shared/use-case.js';
import type { Loaders } from './loaders.js';
import type { DeadlineScheduler } from '../scheduler/scheduler.js';
import type { Realtime } from '../events/realtime.js';
import { traced, tracingEnabled } from '../ops/trace.js';
import { markCommitted, type IdempotencyClaim } from './idempotency.js';

/** One per request (HTTP) or operation (WebSocket). */
export interface RequestContext {
  /** Undefined for an anonymous caller: every operation then answers UNAUTHENTICATED. */
  actor?: Actor;
  em: EntityManager;
  loaders: Loaders;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** Schedules the deadlines of the tickets a mutation changed (absent: nothing is scheduled). */
  scheduler?: DeadlineScheduler;
  /** Present on WebSocket operations only: where subscriptions come from. */
  realtime?: RealtimeConnection;
  /** With tracing on: the mutation running, which names inTransaction's span (see traceUseCases). */
  useCase?: string;
  /** The Idempotency-Key this request holds (set by the idempotency plugin): marked committed in the mutation's transaction. */
  idempotency?: IdempotencyClaim;
}

/** A WebSocket connection's view of the process's realtime feed. */
export interface RealtimeConnection {
  hub: Realtime;
  /** Closes this connection (for a subscriber too slow to keep up). */
  close(code: number, reason: string): void;
}

export interface AuthedContext extends RequestContext {
  actor: Actor;
}

export function useCaseContext(ctx: AuthedContext): UseCaseContext {
  return {
    actor: ctx.actor,
    em: ctx.em,
    clock: ctx.clock,
    visibility: { requestersSeeOrganizationTickets: ctx.config.requestersSeeOrganizationTickets },
  };
}

/**
 * Runs a use case in one transaction; after it commits, the changed tickets' deadline jobs are moved
 * (jobs are hints: a failure there is logged and the sweep repairs it). Every mutation goes through
 * here: a request holding an Idempotency-Key records, in the same transaction, that its change
 * committed. With tracing on, all of it is the span `usecase <mutation>`.
 */
export async function inTransaction<T>(
  c: AuthedContext,
  work: (ctx: UseCaseContext) => Promise<T>,
): Promise<T> {
  const run = async () => {
    const touched = new Set<string>();
    const result = await c.em.transactional(async (em) => {
      if (c.idempotency) await markCommitted(em, c.idempotency);
      return work({ ...useCaseContext(c), em, touched });
    });
    await c.scheduler?.sync(touched);
    return result;
  };
  return tracingEnabled()
    ? traced(`usecase ${c.useCase ?? 'unnamed'}`, { 'docket.actor_kind': c.actor.kind }, run)
    : run();
}
