import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../access/actor.js';
import type { VisibilityOptions } from '../access/policy.js';
import type { Clock } from './clock.js';

/** What every use case runs with: who acts, the request's entity manager, the time, the rules of visibility. */
export interface UseCaseContext {
  actor: Actor;
  em: EntityManager;
  clock: Clock;
  visibility: VisibilityOptions;
  /** Tickets the use case changed; their deadlines are rescheduled after the commit. */
  touched?: Set<string>;
}
