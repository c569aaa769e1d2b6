import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readRows } from '../db/read.js';
import { Checks } from '../shared/checks.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { SCOPES, type Actor, type Scope } from './actor.js';
import { ApiKey, Partner } from './api-key.entity.js';

/**
 * Partner API keys: `dk_<8 hex>_<43 base64url>`. The first part (the prefix) is visible and finds the
 * row; the whole key is checked against a SHA-256 stored at creation. The key is shown once.
 */
export const KEY_PATTERN = /^(dk_[0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function newSecret(): { key: string; prefix: string; hash: string } {
  const prefix = `dk_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: sha256(key) };
}

export type KeyCheck =
  { ok: true; actor: Actor; expiresAt?: number } | { ok: false; reason: 'invalid' | 'expired' | 'revoked' };

interface KeyRow {
  id: string;
  partner_id: string;
  secret_hash: string;
  scopes: string[];
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** Last-used times are written at most this often per key (a busy key is not a write per request). */
const LAST_USED_EVERY_MS = 60_000;

/** Checks a presented key; a good one becomes a PARTNER actor with the key's scopes. */
export async function verifyApiKey(em: EntityManager, key: string, now: Date): Promise<KeyCheck> {
  const m = KEY_PATTERN.exec(key);
  if (!m) return { ok: false, reason: 'invalid' };
  const [row] = await readRows<KeyRow>(
    em,
    'select id, partner_id, secret_hash, scopes, expires_at, revoked_at, last_used_at from api_key where prefix = ?',
    [m[1]],
  );
  if (!row || !timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), Buffer.from(sha256(key), 'hex')))
    return { ok: false, reason: 'invalid' };
  if (row.revoked_at && new Date(row.revoked_at) <= now) return { ok: false, reason: 'revoked' };
  const expiresAt = row.expires_at ? new Date(row.expires_at).getTime() : undefined;
  const revokesAt = row.revoked_at ? new Date(row.revoked_at).getTime() : undefined;
  const ends = Math.min(expiresAt ?? Infinity, revokesAt ?? Infinity);
  if (ends <= now.getTime()) return { ok: false, reason: 'expired' };
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > LAST_USED_EVERY_MS) {
    // Not part of the request: a failure here must not refuse a good key.
    void em
      .getConnection()
      .execute('update api_key set last_used_at = ? where id = ?', [now.toISOString(), row.id])
      .catch(() => {});
  }
  return {
    ok: true,
    actor: { kind: 'PARTNER', partnerId: row.partner_id, apiKeyId: row.id, scopes: row.scopes as Scope[] },
    expiresAt: Number.isFinite(ends) ? ends : undefined,
  };
}

const adminOnly = (actor: Actor) => {
  if (actor.kind !== 'ADMIN' && actor.kind !== 'SYSTEM')
    throw new NotPermittedError('manage partners and API keys');
};

function checkScopes(scopes: readonly string[]): Scope[] {
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length)
    throw InvalidInputError.field('scopes', `unknown: ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
  if (scopes.length === 0) throw InvalidInputError.field('scopes', 'give at least one scope');
  return [...new Set(scopes as Scope[])];
}

export async function createPartner(
  em: EntityManager,
  actor: Actor,
  name: string,
  clock: Clock,
): Promise<Partner> {
  adminOnly(actor);
  new Checks().text('name', name, { min: 1, max: 100 }).done();
  if (await em.findOne(Partner, { name: name.trim() }))
    throw new ConflictError(`a partner named "${name.trim()}" exists`);
  const partner = em.create(Partner, { name: name.trim(), createdAt: clock.now() });
  await em.flush();
  return partner;
}

export interface NewApiKey {
  apiKey: ApiKey;
  /** The whole key: shown this once, never stored. */
  key: string;
}

export async function createApiKey(
  em: EntityManager,
  actor: Actor,
  input: { partnerId: string; name: string; scopes: readonly string[]; expiresAt?: Date },
  clock: Clock,
): Promise<NewApiKey> {
  adminOnly(actor);
  new Checks()
    .text('name', input.name, { min: 1, max: 100 })
    .that(!input.expiresAt || input.expiresAt > clock.now(), 'expiresAt', 'must be in the future')
    .done();
  const scopes = checkScopes(input.scopes);
  if (!(await em.findOne(Partner, input.partnerId))) throw new NotFoundError('Partner', input.partnerId);
  const { key, prefix, hash } = newSecret();
  const apiKey = em.create(ApiKey, {
    partnerId: input.partnerId,
    name: input.name.trim(),
    prefix,
    secretHash: hash,
    scopes,
    createdById: actor.userId,
    createdAt: clock.now(),
    expiresAt: input.expiresAt,
  });
  await em.flush();
  return { apiKey, key };
}

async function liveKey(em: EntityManager, id: string, now: Date): Promise<ApiKey> {
  const key = await em.findOne(ApiKey, id);
  if (!key) throw new NotFoundError('ApiKey', id);
  if (key.revokedAt && key.revokedAt <= now)
    throw new ConflictError(`API key ${key.prefix} is already revoked`);
  return key;
}

/**
 * A new key with the same partner, name and scopes; the old one stops working after `graceSeconds`
 * (default: at once), so a partner can deploy the new key first.
 */
export async function rotateApiKey(
  em: EntityManager,
  actor: Actor,
  input: { id: string; graceSeconds?: number; expiresAt?: Date },
  clock: Clock,
): Promise<NewApiKey> {
  adminOnly(actor);
  const grace = input.graceSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > 30 * 86_400)
    throw InvalidInputError.field(
      'graceSeconds',
      'must be a whole number of seconds from 0 to 2592000 (30 days)',
    );
  const now = clock.now();
  const old = await liveKey(em, input.id, now);
  const next = await createApiKey(
    em,
    actor,
    {
      partnerId: old.partnerId,
      name: old.name,
      scopes: old.scopes,
      expiresAt: input.expiresAt ?? old.expiresAt,
    },
    clock,
  );
  old.revokedAt = new Date(now.getTime() + grace * 1000);
  old.replacedById = next.apiKey.id;
  await em.flush();
  return next;
}

export async function revokeApiKey(
  em: EntityManager,
  actor: Actor,
  id: string,
  clock: Clock,
): Promise<ApiKey> {
  adminOnly(actor);
  const now = clock.now();
  const key = await liveKey(em, id, now);
  key.revokedAt = now;
  await em.flush();
  return key;
}
