import { CloseCode, handleProtocols, type Disposable, type ServerOptions } from 'graphql-ws';
import { makeServer } from 'graphql-ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../shared/logger.js';

/** Distinct texts kept, at most, and their total length (characters). */
const MAX_INTERNED = 10_000;
const MAX_INTERNED_CHARS = 2 * 1024 * 1024;
/** Longer texts are not shared (a dashboard's subscribe message is a few hundred characters). */
const MAX_INTERNED_LENGTH = 4096;

/**
 * One copy of each distinct text among recent ones: thousands of dashboards send the same few
 * subscribe messages, and graphql-ws keeps each subscription's message (its text, its query) for as
 * long as the subscription lives. Bounded: past MAX_INTERNED distinct texts or MAX_INTERNED_CHARS in
 * all, it starts over (a text then gets a copy of its own again; nothing else changes).
 */
export class Interner {
  private readonly texts = new Map<string, string>();
  private chars = 0;

  constructor(
    private readonly max = MAX_INTERNED,
    private readonly maxChars = MAX_INTERNED_CHARS,
  ) {}

  /** The copy of `text` already kept, else `text` (now kept). */
  intern(text: string): string {
    if (text.length > MAX_INTERNED_LENGTH) return text;
    const kept = this.texts.get(text);
    if (kept !== undefined) return kept;
    if (this.texts.size >= this.max || this.chars + text.length > this.maxChars) {
      this.texts.clear();
      this.chars = 0;
    }
    this.texts.set(text, text);
    this.chars += text.length;
    return text;
  }

  get size(): number {
    return this.texts.size;
  }
}

/**
 * A message worth sharing: not connection_init (its token is unique to the connection, and graphql-ws
 * does not keep the message once it has answered it).
 */
const shareable = (text: string) => !text.includes('"connection_init"');

/** The socket graphql-ws's server is given: one small object per connection, no closure per call. */
class Transport {
  constructor(
    readonly socket: WebSocket,
    private readonly interner: Interner,
    private readonly logger: Logger,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(cb: (data: string) => Promise<void>): void {
    // Not an async listener: nothing here waits with the received frame for the subscription's life.
    this.socket.on('message', (data) => {
      const text = String(data);
      cb(shareable(text) ? this.interner.intern(text) : text).catch((err: unknown) => {
        this.logger.error({ err }, 'handling a WebSocket message failed: closing its connection');
        this.socket.close(CloseCode.InternalServerError, 'Internal server error');
      });
    });
  }
}

export interface TransportOptions<E> {
  wss: WebSocketServer;
  /** Ping interval (ms); a connection that has not answered the previous ping by the next is dropped. 0: none. */
  keepAliveMs: number;
  logger: Logger;
  /** graphql-ws's `extra` for a new connection. */
  extra: (socket: WebSocket, request: IncomingMessage) => E;
  /** A connection closed (after graphql-ws has been told). */
  closed?: (socket: WebSocket) => void;
}

/**
 * graphql-ws's server (`makeServer`, its transport-independent core) on `ws`, as graphql-ws's own
 * `useServer` does it, with per-connection state kept to what a connection needs for its whole life:
 * no async listener holding each received frame while its subscription runs, one keep-alive timer for
 * every connection instead of one (and a pong timer) per connection, the upgrade request not kept,
 * and the texts of identical subscribe messages shared (see Interner). Close codes and messages are
 * graphql-ws's.
 */
export function serveGraphqlWs<P extends Record<string, unknown>, E>(
  options: ServerOptions<P, E>,
  o: TransportOptions<E>,
): Disposable {
  const { wss, logger } = o;
  const interner = new Interner();
  // No jsonMessageReviver (it would share the query texts too): JSON.parse with a reviver recurses
  // through the parsed value, so a message nested a few thousand levels deep would exhaust the stack
  // before onSubscribe's nesting check could refuse it with an error (issue 12); without one, parsing
  // does not recurse and the check answers, the connection open.
  const server = makeServer<P, E>(options);
  wss.options.handleProtocols = handleProtocols;

  /** Connections pinged and not answered yet (only between a ping and its pong). */
  const unanswered = new Set<WebSocket>();
  function onPong(this: WebSocket) {
    unanswered.delete(this);
  }
  function onError(this: WebSocket, err: Error) {
    // `ws` reports a protocol error (a bad frame, a message over maxPayload) and closes the socket itself.
    logger.debug({ err: err.message }, 'WebSocket error: closing its connection');
    this.close(CloseCode.InternalServerError, 'Internal server error');
  }
  const keepAlive =
    o.keepAliveMs > 0 && Number.isFinite(o.keepAliveMs)
      ? setInterval(() => {
          for (const socket of wss.clients) {
            if (socket.readyState !== socket.OPEN) continue;
            if (unanswered.has(socket)) {
              unanswered.delete(socket);
              socket.terminate();
              continue;
            }
            unanswered.add(socket);
            socket.ping();
          }
        }, o.keepAliveMs)
      : undefined;
  keepAlive?.unref();

  wss.on('connection', (socket, request) => {
    socket.on('error', onError);
    if (keepAlive) socket.on('pong', onPong);
    const closed = server.opened(new Transport(socket, interner, logger), o.extra(socket, request));
    socket.on('close', (code, reason) => {
      unanswered.delete(socket);
      void closed(code, String(reason));
      o.closed?.(socket);
    });
  });

  return {
    dispose: async () => {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
