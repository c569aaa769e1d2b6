import type { EntityManager } from '@mikro-orm/postgresql';
import ipaddr from 'ipaddr.js';
import { randomUUID } from 'node:crypto';
import { hasScope, type Actor } from '../access/actor.js';
import type { WebhookConfig } from '../config.js';
import type { EventFilter } from '../events/event-filter.js';
import { Checks } from '../shared/checks.js';
import type { Clock } from '../shared/clock.js';
import { InvalidInputError, NotFoundError, NotPermittedError, type FieldProblem } from '../shared/errors.js';
import { isPublicAddress } from './safe-http.js';
import { newSigningSecret } from './message.js';

/** The webhook deliveries' queue in the outbox (docs/OUTBOX.md); its ordering key is the endpoint id. */
export const WEBHOOK_QUEUE = 'webhook';

/** Endpoints per partner (a guard against runaway scripts, not a business rule). */
export const MAX_ENDPOINTS_PER_PARTNER = 100;

/** A webhook endpoint as stored (table webhook_endpoint). */
export interface WebhookEndpoint {
  id: string;
  partnerId: string;
  url: string;
  description: string;
  /** The same vocabulary as the ticketEvents subscription (ids are bare UUIDs here). */
  filter: EventFilter;
  enabled: boolean;
  disabledAt?: Date;
  disabledReason?: string;
  /** The durable cursor: the last event-log sequence derived for this endpoint. */
  position: number;
  /** Since when its deliveries keep failing (cleared by a success); past the retry window it is disabled. */
  failingSince?: Date;
  createdAt: Date;
  updatedAt: Date;
}

const ENDPOINT_COLUMNS = `id, partner_id, url, description, filter, enabled, disabled_at, disabled_reason, position,
  failing_since, created_at, updated_at`;

const date = (v: unknown) => (v === null || v === undefined ? undefined : new Date(v as string));

export function rowToEndpoint(r: Record<string, unknown>): WebhookEndpoint {
  return {
    id: r.id as string,
    partnerId: r.partner_id as string,
    url: r.url as string,
    description: r.description as string,
    filter: (r.filter ?? {}) as EventFilter,
    enabled: r.enabled as boolean,
    disabledAt: date(r.disabled_at),
    disabledReason: (r.disabled_reason as string | null) ?? undefined,
    position: Number(r.position),
    failingSince: date(r.failing_since),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
  };
}

/**
 * Who may manage a partner's endpoints: admins any partner's; a partner key with the `webhooks:manage`
 * scope its own partner's (issue 14). Returns the partner whose endpoints are meant.
 */
export function managedPartner(actor: Actor, partnerId: string | undefined): string {
  if (actor.kind === 'ADMIN' || actor.kind === 'SYSTEM') {
    if (!partnerId) throw InvalidInputError.field('partnerId', 'is required for admins');
    return partnerId;
  }
  if (actor.kind === 'PARTNER' && hasScope(actor, 'webhooks:manage') && actor.partnerId) {
    if (partnerId && partnerId !== actor.partnerId)
      throw new NotPermittedError('manage another partner’s webhook endpoints');
    return actor.partnerId;
  }
  throw new NotPermittedError('manage webhook endpoints');
}

/**
 * Checks an endpoint URL when it is saved (the address is checked again at every connect): http(s)
 * only, https when required (production), no credentials, and no private IP literal unless allowed.
 */
export function checkEndpointUrl(url: string, config: Pick<WebhookConfig, 'requireHttps' | 'allowPrivate'>) {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw InvalidInputError.field('url', 'is not a URL (e.g. https://example.com/hooks/docket)');
  }
  const checks = new Checks()
    .that(u.protocol === 'https:' || u.protocol === 'http:', 'url', 'must be an http(s):// URL')
    .that(
      !config.requireHttps || u.protocol === 'https:',
      'url',
      'must be https:// (WEBHOOK_REQUIRE_HTTPS; on by default in production)',
    )
    .that(!u.username && !u.password, 'url', 'must not carry a user name or password')
    .that(url.length <= 2000, 'url', 'must be at most 2000 characters');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!config.allowPrivate && ipaddr.isValid(host))
    checks.that(
      isPublicAddress(host),
      'url',
      'is a private, loopback or link-local address (refused; WEBHOOK_ALLOW_PRIVATE allows it)',
    );
  if (!config.allowPrivate)
    checks.that(host !== 'localhost' && !host.endsWith('.localhost'), 'url', 'is local');
  checks.done();
  return u.toString();
}

/** The filter as stored: lists given (ids already parsed); empty lists refused (they would match nothing). */
export function checkFilter(f: EventFilter): EventFilter {
  const out: EventFilter = {};
  const checks = new Checks();
  for (const [k, v] of Object.entries(f) as [keyof EventFilter, readonly string[] | undefined][]) {
    if (v === undefined) continue;
    checks.that(v.length > 0, `filter.${k}`, 'must name at least one value (leave it out for any)');
    checks.that(v.length <= 100, `filter.${k}`, 'must name at most 100 values');
    (out as Record<string, readonly string[]>)[k] = [...new Set(v)];
  }
  checks.done();
  return out;
}

/** Runs each check; every INVALID_INPUT problem among them is thrown together. Returns their results. */
function allProblems(...checks: (() => unknown)[]): unknown[] {
  const problems: FieldProblem[] = [];
  const out = checks.map((c) => {
    try {
      return c();
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  });
  if (problems.length) throw new InvalidInputError(problems);
  return out;
}

/** The endpoint if the actor may manage it; NOT_FOUND otherwise (another partner's endpoints are not revealed). */
export async function endpointFor(
  em: EntityManager,
  actor: Actor,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<WebhookEndpoint> {
  const [row] = await em.execute<Record<string, unknown>[]>(
    `select ${ENDPOINT_COLUMNS} from webhook_endpoint where id = ?${opts.lock ? ' for update' : ''}`,
    [id],
  );
  const endpoint = row ? rowToEndpoint(row) : undefined;
  const admin = actor.kind === 'ADMIN' || actor.kind === 'SYSTEM';
  if (!endpoint || (!admin && endpoint.partnerId !== actor.partnerId))
    throw new NotFoundError('WebhookEndpoint', id);
  if (!admin) managedPartner(actor, endpoint.partnerId);
  return endpoint;
}

/** Endpoints the actor manages: an admin's (all, or one partner's), a partner's own. */
export async function listEndpoints(
  em: EntityManager,
  actor: Actor,
  partnerId?: string,
): Promise<WebhookEndpoint[]> {
  const admin = actor.kind === 'ADMIN' || actor.kind === 'SYSTEM';
  const partner = admin ? partnerId : managedPartner(actor, partnerId);
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${ENDPOINT_COLUMNS} from webhook_endpoint ${partner ? 'where partner_id = ?' : ''} order by created_at, id`,
    partner ? [partner] : [],
  );
  return rows.map(rowToEndpoint);
}

export interface NewEndpoint {
  endpoint: WebhookEndpoint;
  /** The signing secret (`whsec_…`): shown this once. */
  secret: string;
}

/**
 * A new endpoint. Its cursor starts at the end of the log: it receives what commits from now on
 * (replayWebhookEndpoint sends history). Errors: INVALID_INPUT (url, filter, description),
 * NOT_PERMITTED, NOT_FOUND (partner).
 */
export async function createEndpoint(
  em: EntityManager,
  actor: Actor,
  input: { partnerId?: string; url: string; description?: string; filter?: EventFilter; enabled?: boolean },
  config: WebhookConfig,
  clock: Clock,
): Promise<NewEndpoint> {
  const partnerId = managedPartner(actor, input.partnerId);
  const [url, filter] = allProblems(
    () => new Checks().text('description', input.description, { max: 500 }).done(),
    () => checkEndpointUrl(input.url, config),
    () => checkFilter(input.filter ?? {}),
  ).slice(1) as [string, EventFilter];
  const [partner] = await em.execute<{ count: string }[]>(
    `select (select count(*) from webhook_endpoint where partner_id = p.id) as count from partner p where p.id = ?`,
    [partnerId],
  );
  if (!partner) throw new NotFoundError('Partner', partnerId);
  if (Number(partner.count) >= MAX_ENDPOINTS_PER_PARTNER)
    throw InvalidInputError.field(
      'partnerId',
      `a partner has at most ${MAX_ENDPOINTS_PER_PARTNER} endpoints`,
    );
  const now = clock.now().toISOString();
  const id = randomUUID();
  const enabled = input.enabled ?? true;
  await em.execute(
    `insert into webhook_endpoint (id, partner_id, url, description, filter, enabled, disabled_at, disabled_reason,
       position, created_at, updated_at)
     values (?, ?, ?, ?, ?::jsonb, ?, ?, ?, coalesce((select last_seq from event_sequence where id = 1), 0), ?, ?)`,
    [
      id,
      partnerId,
      url,
      input.description?.trim() ?? '',
      JSON.stringify(filter),
      enabled,
      enabled ? null : now,
      enabled ? null : 'created disabled',
      now,
      now,
    ],
  );
  const secret = newSigningSecret();
  await em.execute(`insert into webhook_secret (id, endpoint_id, secret, created_at) values (?, ?, ?, ?)`, [
    randomUUID(),
    id,
    secret,
    now,
  ]);
  return { endpoint: await endpointFor(em, actor, id), secret };
}

/**
 * Changes an endpoint. Disabling stops its deliveries where they are (the unsent ones are given up and
 * the cursor goes back to the first of them); enabling resumes from there (docs/WEBHOOKS.md).
 */
export async function updateEndpoint(
  em: EntityManager,
  actor: Actor,
  input: { id: string; url?: string; description?: string; filter?: EventFilter; enabled?: boolean },
  config: WebhookConfig,
  clock: Clock,
): Promise<WebhookEndpoint> {
  const endpoint = await endpointFor(em, actor, input.id, { lock: true });
  const [url, filter] = allProblems(
    () => new Checks().text('description', input.description, { max: 500 }).done(),
    () => (input.url === undefined ? endpoint.url : checkEndpointUrl(input.url, config)),
    () => (input.filter === undefined ? endpoint.filter : checkFilter(input.filter)),
  ).slice(1) as [string, EventFilter];
  const now = clock.now();
  await em.execute(
    `update webhook_endpoint set url = ?, description = ?, filter = ?::jsonb, updated_at = ? where id = ?`,
    [
      url,
      input.description?.trim() ?? endpoint.description,
      JSON.stringify(filter),
      now.toISOString(),
      endpoint.id,
    ],
  );
  if (input.enabled === false && endpoint.enabled)
    await disableEndpoint(em, endpoint.id, 'disabled by hand', now);
  if (input.enabled === true && !endpoint.enabled)
    await em.execute(
      `update webhook_endpoint set enabled = true, disabled_at = null, disabled_reason = null, failing_since = null,
         updated_at = ? where id = ?`,
      [now.toISOString(), endpoint.id],
    );
  return endpointFor(em, actor, endpoint.id);
}

/**
 * Disables an endpoint (its row locked by the caller's transaction or about to be): its deliveries not
 * yet sent are given up (FAILED, "endpoint disabled") and its cursor moves back before the first of
 * them (or before `fromSeq`, the event whose delivery just failed for good), so enabling it again sends
 * them, in order, before anything newer.
 */
export async function disableEndpoint(
  em: EntityManager,
  id: string,
  reason: string,
  now: Date,
  fromSeq?: number,
): Promise<void> {
  const [first] = await em.execute<{ seq: string | null }[]>(
    `with given_up as (
       update outbox_delivery set status = 'FAILED', last_error = 'endpoint disabled: ' || ?, lease_owner = null,
              updated_at = ?
        where queue = ? and ordering_key = ? and status in ('QUEUED', 'SENDING')
       returning event_seq)
     select min(event_seq) as seq from given_up`,
    [reason, now.toISOString(), WEBHOOK_QUEUE, id],
  );
  const seqs = [first?.seq, fromSeq].filter((s) => s !== null && s !== undefined).map(Number);
  const back = seqs.length ? Math.min(...seqs) : null;
  await em.execute(
    `update webhook_endpoint set enabled = false, disabled_at = ?, disabled_reason = ?, updated_at = ?,
       position = case when ?::bigint is null then position else least(position, ?::bigint - 1) end
     where id = ?`,
    [now.toISOString(), reason, now.toISOString(), back, back, id],
  );
}

/** Deletes an endpoint, its secrets and its deliveries. */
export async function deleteEndpoint(em: EntityManager, actor: Actor, id: string): Promise<WebhookEndpoint> {
  const endpoint = await endpointFor(em, actor, id, { lock: true });
  await em.execute(`delete from outbox_delivery where queue = ? and ordering_key = ?`, [WEBHOOK_QUEUE, id]);
  await em.execute(`delete from webhook_endpoint where id = ?`, [id]);
  return endpoint;
}

/**
 * A new signing secret; the endpoint's other secrets stay valid for `overlapSeconds` (default 24 h),
 * during which messages carry a signature by each (Standard Webhooks: several `v1,` signatures).
 */
export async function rotateSecret(
  em: EntityManager,
  actor: Actor,
  input: { id: string; overlapSeconds?: number },
  clock: Clock,
): Promise<NewEndpoint> {
  const endpoint = await endpointFor(em, actor, input.id, { lock: true });
  const overlap = input.overlapSeconds ?? 86_400;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > 7 * 86_400)
    throw InvalidInputError.field(
      'overlapSeconds',
      'must be a whole number of seconds from 0 to 604800 (7 days)',
    );
  const now = clock.now();
  const until = new Date(now.getTime() + overlap * 1000).toISOString();
  await em.execute(
    `update webhook_secret set expires_at = least(coalesce(expires_at, ?::timestamptz), ?::timestamptz)
      where endpoint_id = ?`,
    [until, until, endpoint.id],
  );
  const secret = newSigningSecret();
  await em.execute(`insert into webhook_secret (id, endpoint_id, secret, created_at) values (?, ?, ?, ?)`, [
    randomUUID(),
    endpoint.id,
    secret,
    now.toISOString(),
  ]);
  return { endpoint, secret };
}

/** The secrets that sign now (newest first). */
export async function activeSecrets(em: EntityManager, endpointId: string, now: Date): Promise<string[]> {
  const rows = await em.execute<{ secret: string }[]>(
    `select secret from webhook_secret where endpoint_id = ? and (expires_at is null or expires_at > ?)
      order by created_at desc`,
    [endpointId, now.toISOString()],
  );
  return rows.map((r) => r.secret);
}
