/**
 * A small dashboard client for Docket: follows the event log over graphql-ws and prints one line per
 * event, resuming with `after` when the connection drops, so it never misses or repeats an event.
 * Its types are generated from the committed schema (`npm run codegen`: examples/generated/graphql.ts).
 *
 *   npm run build
 *   TOKEN=$(npm run -s token -- alice@docket.local) node dist/examples/subscribe.js --after 0
 *
 * Options: --after <seq> (default 0: the whole log, then live; the demo data has about 60 events),
 * --url <ws://host:port/graphql> (default ws://localhost:4000/graphql, or DOCKET_URL), --types
 * <TYPE,TYPE> (e.g. SLA_WARNING,SLA_BREACHED). TOKEN is a bearer token (npm run token).
 */
import { print } from 'graphql';
import { createClient, type CloseCode } from 'graphql-ws';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  FollowEventsDocument,
  type FollowEventsSubscription,
  type FollowEventsSubscriptionVariables,
  type TicketEventType,
} from './generated/graphql.js';

/** Docket's close codes that a retry with the same token cannot fix (docs/REALTIME.md). */
const TOKEN_REFUSED = [4403, 4401];

function usage(message: string): never {
  console.error(
    `${message}\nusage: TOKEN=<token> node dist/examples/subscribe.js [--after N] [--url ws://…/graphql] [--types A,B]`,
  );
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    after: { type: 'string', default: '0' },
    url: { type: 'string', default: process.env.DOCKET_URL ?? 'ws://localhost:4000/graphql' },
    types: { type: 'string' },
  },
});
const token = process.env.TOKEN;
if (!token) usage('Set TOKEN to a bearer token (npm run -s token -- alice@docket.local).');
const after = Number(values.after);
if (!Number.isSafeInteger(after) || after < 0) usage('--after must be a sequence number (0 or more).');

// graphql-ws sends these variables again on every reconnect: `after` follows the last event printed.
const variables: FollowEventsSubscriptionVariables = {
  after,
  filter: values.types ? { types: values.types.split(',') as TicketEventType[] } : undefined,
};

const client = createClient({
  url: values.url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: Infinity,
  shouldRetry: (e) => !TOKEN_REFUSED.includes((e as { code?: CloseCode }).code ?? 0),
  on: {
    connected: () => console.error(`connected; events after #${variables.after}`),
    closed: (e) => console.error(`connection closed (${(e as { code?: number }).code ?? '?'}); retrying…`),
  },
});

const stop = client.subscribe<FollowEventsSubscription>(
  { query: print(FollowEventsDocument), variables },
  {
    next: ({ data, errors }) => {
      if (errors?.length) {
        console.error(`refused: ${errors.map((e) => e.message).join('; ')}`);
        return;
      }
      const e = data!.ticketEvents;
      variables.after = e.seq;
      console.log(
        `#${e.seq} ${e.occurredAt} ${e.type} ${e.ticket.reference} [${e.ticket.status.name}] ${e.ticket.subject}`,
      );
    },
    error: (err) => {
      const code = (err as { code?: number }).code;
      console.error(code ? `closed with ${code}: ${(err as { reason?: string }).reason ?? ''}` : String(err));
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    stop();
    void client.dispose();
    process.exit(0);
  });
