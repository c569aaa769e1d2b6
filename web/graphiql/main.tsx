/**
 * Docket's GraphiQL: the IDE bundled from npm (no CDN), served by Docket at GET /graphql for browsers.
 * A bearer-token field above the editor (kept in this browser's localStorage, sent only to this
 * server) signs every request: HTTP as `Authorization: Bearer …`, subscriptions over graphql-ws on
 * the same /graphql as `connectionParams.authorization`.
 *
 * The schema is the committed one (schema/schema.graphql, kept equal to the server's by
 * test/schema.test.ts), bundled in: Docket refuses every anonymous operation, introspection included
 * (docs/ACCESS.md), so GraphiQL could not introspect before a token is pasted, and without a schema
 * it cannot tell a subscription from a query.
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import sdl from '../../schema/schema.graphql';
import { buildSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { EXAMPLE_TABS } from './examples';
import './ide.css';

// Monaco's workers, built beside this bundle (web/build.mjs).
(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(`/assets/graphiql/${name}.worker.js`);
  },
};

const SCHEMA = buildSchema(sdl);

const TOKEN_KEY = 'docket.token';
let token = localStorage.getItem(TOKEN_KEY) ?? '';

const bearer = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** One WebSocket for every subscription, opened on first use and again after the token changes. */
let ws: Client | undefined;
const wsClient = {
  subscribe: ((payload, sink) =>
    (ws ??= createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: bearer,
      lazy: true,
    })).subscribe(payload, sink)) as Client['subscribe'],
} as Client;

const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  wsClient,
  enableIncrementalDelivery: false,
  // The token field's value, read at each request (a header typed in the Headers tab still wins).
  fetch: (input, init) => fetch(input, { ...init, headers: { ...bearer(), ...(init?.headers ?? {}) } }),
});

function TokenBar() {
  const [value, setValue] = useState(token);
  const change = (next: string) => {
    const trimmed = next.trim().replace(/^Bearer\s+/i, '');
    setValue(trimmed);
    token = trimmed;
    if (trimmed) localStorage.setItem(TOKEN_KEY, trimmed);
    else localStorage.removeItem(TOKEN_KEY);
    // The next subscription connects with the new token.
    void ws?.dispose();
    ws = undefined;
  };
  return (
    <header className="docket-bar">
      <strong>Docket</strong>
      <label>
        Bearer token
        <input
          id="docket-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="paste a token: npm run token -- alice@docket.local"
          value={value}
          onChange={(e) => change(e.target.value)}
        />
      </label>
      {value ? (
        <button type="button" onClick={() => change('')}>
          Forget
        </button>
      ) : null}
      <span className="docket-hint">
        Kept in this browser only. Subscriptions run over the same /graphql (WebSocket).{' '}
        <a href="/wallboard">Wallboard</a>
      </span>
    </header>
  );
}

createRoot(document.getElementById('root')!).render(
  <div className="docket-ide">
    <TokenBar />
    <div className="docket-graphiql">
      <GraphiQL fetcher={fetcher} schema={SCHEMA} defaultTabs={EXAMPLE_TABS} isHeadersEditorEnabled>
        <GraphiQL.Logo>Docket</GraphiQL.Logo>
      </GraphiQL>
    </div>
  </div>,
);
