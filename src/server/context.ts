import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import type { Config } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { UseCaseContext } from '../shared/use-case.js';
import type { Loaders } from './loaders.js';

/** One per request (HTTP) or operation (WebSocket). */
export interface RequestContext {
  /** Undefined for an anonymous caller: every operation then answers UNAUTHENTICATED. */
  actor?: Actor;
  em: EntityManager;
  loaders: Loaders;
  clock: Clock;
  config: Config;
  logger: Logger;
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
