import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { readRows } from '../db/read.js';
import { UUID } from '../server/global-id.js';
import type { Role } from '../shared/enums.js';
import { actorKindOf, type Actor } from './actor.js';
import { verifyApiKey } from './api-keys.js';
import { verifyUserToken } from './jwt.js';

export type Authentication =
  | { ok: true; actor: Actor; /** ms since the epoch; undefined: never */ expiresAt?: number }
  | { ok: false; reason: 'malformed' | 'invalid' | 'expired' | 'revoked' | 'unknown-user'; message: string };

const refused = (
  reason: Exclude<Authentication, { ok: true }>['reason'],
  message: string,
): Authentication => ({
  ok: false,
  reason,
  message,
});

/**
 * The caller behind `Authorization: Bearer <jwt or API key>` (HTTP header, or the WebSocket's
 * connectionParams). One check for both transports; each turns a refusal into its own signal (401 / a
 * close code). Partner API keys start with `dk_`.
 */
export async function authenticate(
  config: Config,
  header: string,
  em: EntityManager,
  now: Date,
): Promise<Authentication> {
  const [scheme, token, extra] = header.split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token || extra !== undefined)
    return refused('malformed', 'Send the token as "Authorization: Bearer <token>"');
  if (token.startsWith('dk_')) {
    const key = await verifyApiKey(em, token, now);
    if (key.ok) return key;
    return key.reason === 'revoked'
      ? refused('revoked', 'This API key has been revoked')
      : key.reason === 'expired'
        ? refused('expired', 'This API key has expired')
        : refused('invalid', 'This API key is not valid');
  }
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
