import { Role } from '../shared/enums.js';
import type { ActorKind } from '../workflow/definition.js';

/** Who is acting: resolved once per request (or job) and passed to every use case. */
export interface Actor {
  kind: ActorKind;
  /** The user behind a person actor. */
  userId?: string;
  organizationId?: string;
  tier?: number;
  /** A partner platform's actor: the partner, the key it authenticated with, and that key's scopes. */
  partnerId?: string;
  apiKeyId?: string;
  scopes?: readonly Scope[];
}

/** What a partner key may do. */
export const SCOPES = [
  'tickets:read',
  'tickets:write',
  'comments:write',
  'events:subscribe',
  'import',
] as const;
export type Scope = (typeof SCOPES)[number];

export const hasScope = (actor: Actor, scope: Scope): boolean =>
  actor.kind === 'PARTNER' && (actor.scopes?.includes(scope) ?? false);

export const SYSTEM_ACTOR: Actor = { kind: 'SYSTEM' };

export function actorKindOf(role: Role): ActorKind {
  return role === Role.ADMIN ? 'ADMIN' : role === Role.AGENT ? 'AGENT' : 'REQUESTER';
}
