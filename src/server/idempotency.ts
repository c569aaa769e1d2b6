import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FormattedExecutionResult,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { createHash, randomUUID } from 'node:crypto';
import type { Actor } from '../access/actor.js';
import { isDatabaseUnavailable } from '../db/health.js';
import { statementCounter } from '../db/orm.js';
import { RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from './public-error.js';
import type { Logger } from '../shared/logger.js';
import type { RequestContext } from './context.js';

/**
 * Idempotent mutations over HTTP (docs/IDEMPOTENCY.md). A mutation sent with `Idempotency-Key: <key>`
 * claims that key for its caller (a row of `idempotency_key`, state 'pending'), runs, and stores its
 * response (state 'done'). The same caller sending the same key again gets, instead of a second run:
 * - the stored response (header `Idempotent-Replayed: true`) if the request is the same;
 * - IDEMPOTENCY_KEY_REUSED (422) if the request differs: nothing runs;
 * - if the first request is still running, the stored response once it finishes (the retry waits),
 *   or IDEMPOTENCY_KEY_IN_PROGRESS (409, retryable) if it does not finish within `waitMs`.
 * Keys expire `ttlMs` (24 h) after their claim; an expired key is free again.
 *
 * The claim and the stored response are not in the mutation's transaction: a process that dies between
 * the mutation's commit and storing its response leaves the key 'pending'. Such a claim, older than
 * `staleMs`, is taken over by a retry of the same request, which then runs again (the documented gap).
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface IdempotencyDeps {
  logger: Logger;
}

export interface IdempotencyOptions {
  /** How long a key holds (from its claim). */
  ttlMs: number;
  /** How long a retry waits for the first request of its key to finish before answering 409. */
  waitMs: number;
  /** A claim still pending after this long is presumed dead and may be taken over by a retry. */
  staleMs: number;
  /** Expired rows deleted, at most, by each claim. */
  purgeBatch: number;
}

export const IDEMPOTENCY_DEFAULTS: IdempotencyOptions = {
  ttlMs: 24 * 60 * 60 * 1000,
  waitMs: 10_000,
  staleMs: 60_000,
  purgeBatch: 20,
};

/**
 * Mutations whose result carries a secret shown once (an API key): storing their response would keep the
 * secret in plain text for a day, and a replay would show it twice. They refuse an Idempotency-Key.
 */
const SECRET_RESULTS = new Set(['createApiKey', 'rotateApiKey']);

/** 1 to 255 visible ASCII characters: no spaces, no control characters, nothing outside ASCII. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

const POLL_FIRST_MS = 25;
const POLL_MAX_MS = 200;

const badRequest = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

/** Whose keys these are: a person's own, or a partner's (all its API keys share them: a rotated key's retry matches). */
export function principalOf(actor: Actor | undefined): string | undefined {
  if (!actor) return undefined;
  if (actor.kind === 'PARTNER') return actor.partnerId ? `partner:${actor.partnerId}` : undefined;
  return actor.userId ? `user:${actor.userId}` : undefined;
}

/** JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** What makes two requests "the same": operation name, query text and variables. */
export function requestHash(
  operationName: string | null | undefined,
  query: string,
  variables: unknown,
): string {
  return createHash('sha256')
    .update(canonicalJson([operationName ?? null, query, variables ?? {}]))
    .digest('hex');
}

/** The names (not aliases) of the root fields an operation selects, through fragments. */
function rootFields(operation: OperationDefinitionNode, document: DocumentNode): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = document.definitions.find(
          (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value,
        );
        if (fragment?.kind === Kind.FRAGMENT_DEFINITION) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

/**
 * Whether any mutation resolver returned. Docket's mutations answer even a refused change with a payload
 * (its `errors`), so a root field that errored itself means its resolver threw and its transaction rolled
 * back; an error deeper down (or a non-null root field) means the resolver returned, after its commit.
 * A response where nothing returned (every root field failed, or the request failed before execution)
 * is not kept: a retry runs again.
 */
export function resolverReturned(result: FormattedExecutionResult): boolean {
  const errors = result.errors ?? [];
  if (errors.some((e) => (e.path?.length ?? 0) > 1)) return true;
  const failed = new Set(errors.filter((e) => e.path?.length === 1).map((e) => String(e.path![0])));
  return Object.keys(result.data ?? {}).some((field) => !failed.has(field));
}

/** A key claimed by one request: the caller, the key, the request's hash and the claim's own token. */
export interface IdempotencyClaim {
  principal: string;
  key: string;
  hash: string;
  token: string;
}
type Claim = IdempotencyClaim;

interface KeyRow {
  request_hash: string;
  state: 'pending' | 'done';
  committed: boolean;
  /** As the driver returns it (MikroORM has PostgreSQL timestamps parsed as strings). */
  created_at: string | Date;
  response_status: number | null;
  response: FormattedExecutionResult | null;
}

/**
 * Called inside the mutation's transaction (`inTransaction`): the claim's change commits together
 * with this mark, or not at all. A pending claim that is marked was carried out, whatever became of
 * its answer, and is never run again.
 */
export async function markCommitted(em: EntityManager, c: IdempotencyClaim): Promise<void> {
  await em.execute(
    `update "idempotency_key" set "committed" = true where "principal" = ? and "key" = ? and "claim" = ?`,
    [c.principal, c.key, c.token],
  );
}

/** What a retry gets when the first request committed but its answer was never stored. */
const RESPONSE_LOST = {
  status: 409,
  code: 'IDEMPOTENCY_RESPONSE_LOST',
  message:
    'The request with this Idempotency-Key was carried out, but its answer was lost (the server or its database stopped before storing it): read the current state instead of sending it again',
};

/** A statement on a pooled connection, outside any transaction; counted like the ORM's own statements. */
async function run<T>(em: EntityManager, sql: string, values: unknown[]): Promise<{ rows: T[] }> {
  const counter = statementCounter.getStore();
  if (counter) counter.count++;
  return (await em.getKnex().raw(sql, values as never)) as { rows: T[] };
}

/**
 * Claims the key (inserting it, or taking over an expired row, or a stale pending claim of the same
 * request) and deletes a few expired rows of anyone on the way. Returns whether this request holds it.
 */
async function tryClaim(em: EntityManager, c: Claim, now: Date, opts: IdempotencyOptions): Promise<boolean> {
  const { rows } = await run<{ claim: string }>(
    em,
    `with purged as (
       delete from "idempotency_key" where ("principal", "key") in (
         select "principal", "key" from "idempotency_key"
         where "expires_at" <= ? and not ("principal" = ? and "key" = ?)
         order by "expires_at" limit ? for update skip locked))
     insert into "idempotency_key" as k
       ("principal", "key", "request_hash", "state", "claim", "created_at", "expires_at")
     values (?, ?, ?, 'pending', ?, ?, ?)
     on conflict ("principal", "key") do update set "request_hash" = excluded."request_hash",
       "state" = 'pending', "claim" = excluded."claim", "response_status" = null, "response" = null,
       "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
     where k."expires_at" <= excluded."created_at"
       or (k."state" = 'pending' and not k."committed" and k."request_hash" = excluded."request_hash"
           and k."created_at" <= ?)
     returning k."claim"`,
    [
      now,
      c.principal,
      c.key,
      opts.purgeBatch,
      c.principal,
      c.key,
      c.hash,
      c.token,
      now,
      new Date(now.getTime() + opts.ttlMs),
      new Date(now.getTime() - opts.staleMs),
    ],
  );
  return rows[0]?.claim === c.token;
}

async function currentRow(em: EntityManager, c: Claim, now: Date): Promise<KeyRow | undefined> {
  const { rows } = await run<KeyRow>(
    em,
    `select "request_hash", "state", "committed", "created_at", "response_status", "response"
     from "idempotency_key"
     where "principal" = ? and "key" = ? and "expires_at" > ?`,
    [c.principal, c.key, now],
  );
  return rows[0];
}

const errorResponse = (status: number, code: string, message: string, headers: [string, string][] = []) =>
  ({
    http: { status, headers: new HeaderMap(headers) },
    body: { kind: 'single', singleResult: { errors: [{ message, extensions: { code } }] } },
  }) satisfies GraphQLResponse;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stores a claim's answer or releases it. The response goes out regardless; during a database outage
 * the statement is tried again (0.5 s, doubling to 5 s) until the database is back or the claim would
 * be stale anyway, so retries find the answer (or a free key) within a second of the database's return
 * instead of waiting out `staleMs`.
 */
async function settle(
  em: EntityManager,
  sql: string,
  values: unknown[],
  claim: Claim,
  opts: IdempotencyOptions,
  logger: Logger,
): Promise<void> {
  const giveUpAt = Date.now() + opts.staleMs;
  const attempt = async (delay: number): Promise<void> => {
    try {
      await run(em, sql, values);
    } catch (err) {
      if (isDatabaseUnavailable(err) && Date.now() + delay < giveUpAt) {
        setTimeout(() => void attempt(Math.min(delay * 2, 5000)), delay).unref();
        return;
      }
      logger.error({ err, principal: claim.principal }, 'could not record an idempotency key');
    }
  };
  await attempt(500);
}

export function idempotencyPlugin(
  deps: IdempotencyDeps,
  options: Partial<IdempotencyOptions> = {},
): ApolloServerPlugin<RequestContext> {
  const opts = { ...IDEMPOTENCY_DEFAULTS, ...options };
  const { logger } = deps;
  return {
    async requestDidStart({ request, contextValue }) {
      /** The key this request asks for (set once the operation is known to be a keyed mutation). */
      let wanted: Omit<Claim, 'token'> | undefined;
      /** The key this request holds, once claimed: it must store or release it. */
      let held: Claim | undefined;
      /** Claims the key (null: run the mutation), or answers for it: the stored answer, a refusal, or wait. */
      const claimOrAnswer = async (ctx: RequestContext): Promise<GraphQLResponse | null> => {
        if (!wanted) return null;
        const claim: Claim = { ...wanted, token: randomUUID() };
        const deadline = performance.now() + opts.waitMs;
        let pause = POLL_FIRST_MS;
        for (;;) {
          const now = ctx.clock.now();
          if (await tryClaim(ctx.em, claim, now, opts)) {
            held = claim;
            ctx.idempotency = claim; // marked committed in the mutation's transaction
            return null; // run the mutation
          }
          const row = await currentRow(ctx.em, claim, now);
          if (row && row.request_hash !== claim.hash)
            return errorResponse(
              422,
              'IDEMPOTENCY_KEY_REUSED',
              'This Idempotency-Key was already used for a different request: use a new key for a new request',
            );
          if (row?.state === 'done') {
            logger.debug({ principal: claim.principal }, 'idempotent replay');
            return {
              http: {
                status: row.response_status ?? 200,
                headers: new HeaderMap([[REPLAYED_HEADER, 'true']]),
              },
              body: { kind: 'single', singleResult: row.response ?? {} },
            };
          }
          // Carried out, but its answer was never stored (and will not be: the claim is stale).
          if (row?.committed && new Date(row.created_at).getTime() <= now.getTime() - opts.staleMs)
            return errorResponse(RESPONSE_LOST.status, RESPONSE_LOST.code, RESPONSE_LOST.message);
          // Gone (the first request failed and released it): claim it again at once. Pending: wait.
          if (!row && performance.now() < deadline) continue;
          if (performance.now() + pause > deadline)
            return errorResponse(
              409,
              'IDEMPOTENCY_KEY_IN_PROGRESS',
              'A request with this Idempotency-Key is still running: retry in a moment',
              [['retry-after', '1']],
            );
          await sleep(pause);
          pause = Math.min(pause * 1.5, POLL_MAX_MS);
        }
      };
      return {
        async didResolveOperation({ operation, document, source }) {
          if (operation?.operation !== 'mutation') return;
          const key = request.http?.headers.get(IDEMPOTENCY_HEADER);
          if (key === undefined) return;
          if (!VALID_KEY.test(key))
            throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)');
          const secret = [...rootFields(operation, document)].filter((f) => SECRET_RESULTS.has(f));
          if (secret.length)
            throw badRequest(
              `${secret.join(', ')} cannot take an Idempotency-Key: its result holds a secret that is shown once and never stored`,
            );
          const principal = principalOf(contextValue.actor);
          // An anonymous caller's key means nothing: the operation answers UNAUTHENTICATED anyway.
          if (!principal) return;
          wanted = { principal, key, hash: requestHash(request.operationName, source, request.variables) };
        },

        async responseForOperation({ contextValue: ctx }) {
          if (!wanted) return null;
          try {
            return await claimOrAnswer(ctx);
          } catch (err) {
            // Apollo would turn an error here into a bare 500: an outage is the typed 503 instead.
            if (!isDatabaseUnavailable(err)) throw err;
            return errorResponse(503, 'SERVICE_UNAVAILABLE', SERVICE_UNAVAILABLE_MESSAGE, [
              ['retry-after', String(RETRY_AFTER_SECONDS)],
            ]);
          }
        },

        async willSendResponse({ response, contextValue: ctx }) {
          if (!held) return;
          const claim = held;
          held = undefined;
          // Taken before any await: the plugins listed after this one in app.ts (willSendResponse hooks
          // start in list order) add per-request extensions (statement count, cost) that are not stored.
          // An answer cut short by a database outage is not kept (a replay would repeat the outage):
          // like a request that never returned, its key is released, or marked lost if it committed.
          const single = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const result =
            single &&
            resolverReturned(single) &&
            !single.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')
              ? JSON.stringify(single)
              : undefined;
          const [sql, values] =
            result !== undefined
              ? [
                  `update "idempotency_key" set "state" = 'done', "response" = ?::json, "response_status" = ?
                   where "principal" = ? and "key" = ? and "claim" = ?`,
                  [result, response.http.status ?? 200, claim.principal, claim.key, claim.token],
                ]
              : // No resolver returned: release the key for a retry, unless its change committed
                // after all (the commit's answer was lost to an outage): then a retry learns that.
                [
                  `with released as (
                     delete from "idempotency_key"
                     where "principal" = ? and "key" = ? and "claim" = ? and not "committed" returning 1)
                   update "idempotency_key" set "state" = 'done', "response" = ?::json, "response_status" = ?
                   where "principal" = ? and "key" = ? and "claim" = ? and "committed"`,
                  [
                    claim.principal,
                    claim.key,
                    claim.token,
                    JSON.stringify({
                      errors: [{ message: RESPONSE_LOST.message, extensions: { code: RESPONSE_LOST.code } }],
                    }),
                    RESPONSE_LOST.status,
                    claim.principal,
                    claim.key,
                    claim.token,
                  ],
                ];
          await settle(ctx.em, sql, values, claim, opts, logger);
        },
      };
    },
  };
}
