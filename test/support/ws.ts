import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

/** One graphql-ws connection as a dashboard opens it: the token in connectionParams, no retries. */
export interface WsConnection {
  client: Client;
  /** Settles when the socket closes, with the server's close code. */
  closed: Promise<Closed>;
  /** Starts a subscription; its results arrive in order in `results`. */
  subscribe<R, V>(doc: TypedDocumentNode<R, V> | string, variables?: V): Subscription<R>;
  dispose(): Promise<void>;
}

export interface Subscription<R> {
  results: ExecutionResult<R>[];
  /** Waits until `n` results arrived (or fails after `ms`). */
  take(n: number, ms?: number): Promise<ExecutionResult<R>[]>;
  /** Resolves when the server ends it (complete or error). */
  ended: Promise<void>;
  unsubscribe(): void;
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export function connect(httpUrl: string, token?: string): WsConnection {
  let onClosed!: (c: Closed) => void;
  const closed = new Promise<Closed>((r) => (onClosed = r));
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (e) => onClosed({ code: (e as Closed).code, reason: String((e as Closed).reason) }) },
  });
  return {
    client,
    closed,
    subscribe<R, V>(doc: TypedDocumentNode<R, V> | string, variables?: V): Subscription<R> {
      const results: ExecutionResult<R>[] = [];
      const waiters: (() => void)[] = [];
      let end!: () => void;
      const ended = new Promise<void>((r) => (end = r));
      const unsubscribe = client.subscribe<R>(
        {
          query: typeof doc === 'string' ? doc : print(doc),
          variables: variables as Record<string, unknown> | undefined,
        },
        {
          next: (r) => {
            results.push(r as ExecutionResult<R>);
            for (const w of waiters.splice(0)) w();
          },
          error: (err) => {
            results.push({
              errors: Array.isArray(err) ? err : [{ message: String((err as Error)?.message ?? err) }],
            } as ExecutionResult<R>);
            for (const w of waiters.splice(0)) w();
            end();
          },
          complete: () => end(),
        },
      );
      return {
        results,
        ended,
        unsubscribe,
        async take(n, ms = 10_000) {
          const deadline = Date.now() + ms;
          while (results.length < n) {
            const left = deadline - Date.now();
            if (left <= 0)
              throw new Error(
                `expected ${n} results within ${ms} ms, got ${results.length}: ${JSON.stringify(results).slice(0, 2000)}`,
              );
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              waiters.push(() => {
                clearTimeout(t);
                r();
              });
            });
          }
          return results.slice(0, n);
        },
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
