import { Role } from '../shared/enums.js';
import type { ActorKind } from '../workflow/definition.js';

/** Who is acting: resolved once per request (or job) and passed to every use case. */
export interface Actor {
  kind: ActorKind;
  /** The user behind a person actor. */
  userId?: string;
  organizationId?: string;
  tier?: number;
}

export const SYSTEM_ACTOR: Actor = { kind: 'SYSTEM' };

export function actorKindOf(role: Role): ActorKind {
  return role === Role.ADMIN ? 'ADMIN' : role === Role.AGENT ? 'AGENT' : 'REQUESTER';
}
