import ipaddr from 'ipaddr.js';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';

/**
 * The one guarded client for outbound webhook calls (ARCHITECTURE: "Outbound network calls go through
 * one guarded client").
 *
 * - **No private addresses** unless allowed: loopback, private (RFC 1918, unique local), link-local
 *   (169.254.0.0/16 holds the cloud metadata service at 169.254.169.254), carrier-grade NAT,
 *   multicast, reserved, unspecified and IPv4-mapped forms of them are refused. The check runs on the
 *   addresses the name resolves to, inside undici's connect (the `lookup` it connects with), so a name
 *   that resolves to a public address when the endpoint is saved and to 10.0.0.1 when we connect
 *   (DNS rebinding) is still refused. IP literals in the URL are checked before connecting (Node does
 *   not call `lookup` for them). Ranges come from `ipaddr.js`, not hand-written parsing.
 * - **No redirects**: a 3xx is an answer like any other (a failed delivery), never followed.
 * - **A time budget** for the whole call (connect, send, answer) and **a cap on the response body**
 *   read (the rest is discarded).
 */
export interface SafeHttpOptions {
  /** Allow private, loopback and link-local addresses (WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** The whole call's budget (ms). */
  timeoutMs: number;
  /** Bytes of the response body kept (default 4 KiB). */
  maxResponseBytes?: number;
  /** Name resolution (default: the system's, node:dns lookup); tests give their own. */
  lookup?: (hostname: string) => Promise<LookupAddress[]>;
  /** Connections per origin kept open (default 8). */
  connections?: number;
}

export interface SafeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The start of the body, at most maxResponseBytes, as text. */
  body: string;
}

/** A call refused before anything was sent: the address is not allowed, or the URL is not http(s). */
export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

/** Address ranges never called without WEBHOOK_ALLOW_PRIVATE: everything but ordinary unicast. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address); // IPv4-mapped IPv6 (::ffff:10.0.0.1) becomes IPv4
  return parsed.range() === 'unicast';
}

const systemLookup = (hostname: string): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export class SafeHttpClient {
  private readonly agent: Agent;
  private readonly maxBytes: number;

  constructor(private readonly o: SafeHttpOptions) {
    this.maxBytes = o.maxResponseBytes ?? 4096;
    const resolveName = o.lookup ?? systemLookup;
    const allowPrivate = o.allowPrivate;
    // net.connect's `lookup`: resolve, then refuse if any address is not public.
    const guardedLookup = (
      hostname: string,
      options: { all?: boolean } | number,
      callback: LookupCallback,
    ): void => {
      resolveName(hostname)
        .then((addresses) => {
          if (!addresses.length) throw new Error(`${hostname} resolves to no address`);
          const bad = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
          if (bad)
            throw new BlockedAddressError(
              `${hostname} resolves to ${bad.address}, a private, loopback or link-local address (refused; WEBHOOK_ALLOW_PRIVATE allows it)`,
            );
          if (typeof options === 'object' && options.all) callback(null, addresses);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        })
        .catch((err: NodeJS.ErrnoException) => callback(err, ''));
    };
    this.agent = new Agent({
      connections: o.connections ?? 8,
      keepAliveTimeout: 30_000,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      connect: { timeout: o.timeoutMs, lookup: guardedLookup as never },
    });
  }

  /**
   * POSTs `body` to `url` with `headers`. Resolves with the answer (any status; 3xx are not followed),
   * rejects on a refused address, a network error or the time budget.
   */
  async post(url: string, headers: Record<string, string>, body: string): Promise<SafeResponse> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new BlockedAddressError(`${u.protocol} URLs are not called`);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.o.allowPrivate && !isPublicAddress(host))
      throw new BlockedAddressError(
        `${host} is a private, loopback or link-local address (refused; WEBHOOK_ALLOW_PRIVATE allows it)`,
      );
    const res = await request(u, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Docket-Webhooks/1', ...headers },
      body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    let text = '';
    let taken = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = this.maxBytes - taken;
        if (room > 0) {
          const part = chunk.subarray(0, room);
          text += part.toString('utf8');
          taken += part.length;
        }
        if (taken >= this.maxBytes) break;
      }
    } finally {
      // The rest is not read: drop the connection's remaining body.
      if (!res.body.destroyed) res.body.destroy();
    }
    return { status: res.statusCode, headers: res.headers, body: text };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * A `Retry-After` header in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent
 * or unreadable. Capped at `maxMs`.
 */
export function retryAfterMs(
  value: string | string[] | undefined,
  now: Date,
  maxMs: number,
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const trimmed = v.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    // An HTTP date (IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"); anything else is unreadable.
    if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), maxMs);
}
