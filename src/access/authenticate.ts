import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { readRows } from '../db/read.js';
import { UUID } from '../server/global-id.js';
import type { Role } from '../shared/enums.js';
import { actorKindOf, type Actor } from './actor.js';
import { verifyUserToken } from './jwt.js';

export type Authentication =
  | { ok: true; actor: Actor; /** ms since the epoch */ expiresAt: number }
  | { ok: false; reason: 'malformed' | 'invalid' | 'expired' | 'unknown-user'; message: string };

const refused = (
  reason: Exclude<Authentication, { ok: true }>['reason'],
  message: string,
): Authentication => ({
  ok: false,
  reason,
  message,
});

/**
 * The caller behind `Authorization: Bearer <jwt>` (HTTP header, or the WebSocket's connectionParams).
 * One check for both transports; each turns a refusal into its own signal (401 / a close code).
 */
export async function authenticate(
  config: Config,
  header: string,
  em: EntityManager,
): Promise<Authentication> {
  const [scheme, token] = header.split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token)
    return refused('malformed', 'Send the token as "Authorization: Bearer <token>"');
  const check = await verifyUserToken(config, token);
  if (!check.ok)
    return check.reason === 'expired'
      ? refused('expired', 'Your token has expired: sign in again')
      : refused('invalid', 'Your token is not valid');
  if (!UUID.test(check.userId)) return refused('invalid', 'Your token is not valid');
  const [user] = await readRows<{ role: Role; tier: number | null; organization_id: string | null }>(
    em,
    'select role, tier, organization_id from app_user where id = ?',
    [check.userId],
  );
  if (!user) return refused('unknown-user', 'Your token names a user that does not exist');
  return {
    ok: true,
    actor: {
      kind: actorKindOf(user.role),
      userId: check.userId,
      organizationId: user.organization_id ?? undefined,
      tier: user.tier ?? undefined,
    },
    expiresAt: check.expiresAt,
  };
}
