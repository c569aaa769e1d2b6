import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { readRows } from '../db/read.js';
import { UUID } from '../server/global-id.js';
import type { Role } from '../shared/enums.js';
import { actorKindOf, type Actor } from './actor.js';
import { verifyApiKey } from './api-keys.js';
import { verifyUserToken, type TokenClaims } from './jwt.js';

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

interface UserRow {
  id: string;
  role: Role;
  tier: number | null;
  organization_id: string | null;
  deactivated_at: string | Date | null;
}

const USER_COLUMNS = 'id, role, tier, organization_id, deactivated_at';

/**
 * Users found by a token, remembered for a few seconds: a session's requests then skip the lookup.
 * A change to a user's role, tier or organization reaches their requests within USER_TTL_MS.
 * Unknown users are not remembered (they may be created at any moment). Bounded; oldest first out.
 */
const USER_TTL_MS = 5000;
const MAX_USERS = 10_000;
const knownUsers = new Map<string, { row: UserRow; until: number }>();

/** Forgets what is remembered of a user (their role changed, they were deactivated): read again next time. */
export function forgetUser(userId: string): void {
  for (const [key, hit] of knownUsers) if (hit.row.id === userId) knownUsers.delete(key);
}

async function rememberedUser(
  key: string,
  load: () => Promise<UserRow | undefined>,
): Promise<UserRow | undefined> {
  const hit = knownUsers.get(key);
  const now = Date.now();
  if (hit && hit.until > now) return hit.row;
  const row = await load();
  knownUsers.delete(key);
  if (row) {
    if (knownUsers.size >= MAX_USERS) knownUsers.delete(knownUsers.keys().next().value!);
    knownUsers.set(key, { row, until: now + USER_TTL_MS });
  }
  return row;
}

/**
 * The user a verified token stands for. Docket's own tokens name the user id. An identity provider's
 * token names a user by its `email` claim; with JWT_CREATE_REQUESTERS, someone not yet known becomes a
 * requester (name from the `name` claim) on first sight.
 */
async function userOf(config: Config, claims: TokenClaims, em: EntityManager): Promise<UserRow | undefined> {
  if (claims.source === 'docket') {
    if (!UUID.test(claims.sub)) return undefined;
    return rememberedUser(
      `id:${claims.sub}`,
      async () =>
        (await readRows<UserRow>(em, `select ${USER_COLUMNS} from app_user where id = ?`, [claims.sub]))[0],
    );
  }
  const email = claims.email?.trim().toLowerCase();
  if (!email) return undefined;
  const known = await rememberedUser(
    `email:${email}`,
    async () =>
      (await readRows<UserRow>(em, `select ${USER_COLUMNS} from app_user where email = ?`, [email]))[0],
  );
  if (known || !config.jwt.createRequesters) return known;
  // Two first requests at once: the unique email lets one insert win; both then read the same row.
  await em.getConnection().execute(
    `insert into app_user (id, email, name, role, available, created_at) values (gen_random_uuid(), ?, ?, 'REQUESTER', true, now())
       on conflict (email) do nothing`,
    [email, (claims.name?.trim() || email.split('@')[0]!).slice(0, 200)],
  );
  return (await readRows<UserRow>(em, `select ${USER_COLUMNS} from app_user where email = ?`, [email]))[0];
}

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
  const user = await userOf(config, check, em);
  if (!user) return refused('unknown-user', 'Your token names a user that does not exist');
  // Deactivated (app_user.deactivated_at): refused like a revoked key, on HTTP within the 5 s the
  // user is remembered, on open WebSocket connections at once (src/server/ws.ts).
  if (user.deactivated_at) return refused('revoked', 'Your account has been deactivated');
  return {
    ok: true,
    actor: {
      kind: actorKindOf(user.role),
      userId: user.id,
      organizationId: user.organization_id ?? undefined,
      tier: user.tier ?? undefined,
    },
    expiresAt: check.expiresAt,
  };
}
