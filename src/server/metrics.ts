import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { counter, gauge, histogram } from '../ops/metrics.js';
import type { RequestContext } from './context.js';

/**
 * The API's series: HTTP requests, GraphQL operations and their errors, WebSocket connections and
 * subscriptions (docs/OPERATIONS.md, "Metrics"). Label values come from fixed sets: a route from
 * ROUTES, an operation name that is a plain GraphQL name (the first MAX_OPERATION_NAMES distinct ones;
 * later ones count as `other`), an outcome that is `OK` or an error code.
 */
const httpRequests = counter({
  name: 'docket_http_requests_total',
  help: 'HTTP requests by method, route and status code',
  labelNames: ['method', 'route', 'status'] as const,
});
const httpDuration = histogram({
  name: 'docket_http_request_duration_seconds',
  help: 'HTTP request duration, from arrival to the last byte sent (s)',
  labelNames: ['method', 'route', 'status'] as const,
});
const operations = counter({
  name: 'docket_graphql_operations_total',
  help: 'GraphQL operations by name, type and outcome (OK, or the first error code)',
  labelNames: ['operation', 'type', 'outcome'] as const,
});
const operationDuration = histogram({
  name: 'docket_graphql_operation_duration_seconds',
  help: 'GraphQL operation duration over HTTP, by name, type and outcome (s)',
  labelNames: ['operation', 'type', 'outcome'] as const,
});
const errors = counter({
  name: 'docket_graphql_errors_total',
  help: 'Errors answered, by code: GraphQL errors (source="graphql") and typed errors in mutation payloads (source="payload")',
  labelNames: ['code', 'source'] as const,
});
export const wsConnections = gauge({
  name: 'docket_websocket_connections',
  help: 'Open WebSocket connections (graphql-ws) of this process',
});
export const activeSubscriptions = gauge({
  name: 'docket_subscriptions',
  help: 'Running subscriptions of this process, by field',
  labelNames: ['field'] as const,
});

/** Paths reported as themselves; anything else is `other` (a scanner's 404s must not add series). */
const ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics', '/wallboard']);
const MAX_OPERATION_NAMES = 200;
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const names = new Set<string>();

function routeOf(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (ROUTES.has(path)) return path;
  if (path.startsWith('/assets/')) return '/assets';
  return 'other';
}

/** An operation name as a label: bounded in shape and in number. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (!NAME.test(name)) return 'other';
  if (names.has(name)) return name;
  if (names.size >= MAX_OPERATION_NAMES) return 'other';
  names.add(name);
  return name;
}

/** Counts and times every HTTP request (Express middleware; put it first). */
export function httpMetrics(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const labels = { method: req.method, route: routeOf(req.originalUrl), status: String(res.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
  next();
}

type Formatted = { extensions?: { code?: unknown } };
type Payload = Record<string, { errors?: { code?: unknown }[] } | null> | null | undefined;

/**
 * Counts and times GraphQL operations over HTTP: outcome `OK`, or the first GraphQL error's code, or
 * for a mutation the first typed error of its payload (`STALE_VERSION`, …). Every error is counted by
 * code. (Subscriptions are counted where they start, in ws.ts, with `countSubscription`.)
 */
export const graphqlMetricsPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    const started = process.hrtime.bigint();
    let operation = 'unknown';
    let type = 'unknown';
    return {
      async didResolveOperation({ operation: op, operationName }) {
        operation = operationLabel(operationName);
        type = op?.operation ?? 'unknown';
      },
      async willSendResponse({ response }) {
        let outcome = 'OK';
        if (response.body.kind === 'single') {
          const result = response.body.singleResult;
          for (const e of (result.errors ?? []) as readonly Formatted[]) {
            const code = String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
            if (outcome === 'OK') outcome = code;
            errors.inc({ code, source: 'graphql' });
          }
          if (type === 'mutation' && result.data) {
            for (const payload of Object.values(result.data as Payload & object)) {
              for (const e of payload?.errors ?? []) {
                const code = String(e.code ?? 'UNKNOWN');
                if (outcome === 'OK') outcome = code;
                errors.inc({ code, source: 'payload' });
              }
            }
          }
        }
        const labels = { operation, type, outcome };
        operations.inc(labels);
        operationDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      },
    };
  },
};

/** A subscription started (outcome OK) or was refused (its first error's code). */
export function countSubscription(operationName: string | null | undefined, outcome: string): void {
  operations.inc({ operation: operationLabel(operationName), type: 'subscription', outcome });
  if (outcome !== 'OK') errors.inc({ code: outcome, source: 'graphql' });
}
