import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One webhook as a receiver took it, its signature verified with the `standardwebhooks` package. */
export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  body: {
    type: string;
    timestamp: string;
    payloadVersion: number;
    data: {
      seq: number;
      type: string;
      ticketId: string;
      actorKind: string;
      payload: Record<string, unknown>;
    };
  };
  raw: string;
  signature: string;
  at: number;
}

/** What the receiver answers a request with (default 204); `hangUp` drops the connection instead. */
export type Answer =
  { status: number; headers?: Record<string, string>; delayMs?: number; body?: string } | 'hangUp';

/**
 * A real HTTP receiver in the test process, on 127.0.0.1. Every request's signature is verified
 * against the endpoint's secrets with `standardwebhooks` (a request that fails verification is
 * answered 401 and counted in `rejected`); accepted ones are kept in `received` (answered 2xx) or
 * `refusedByAnswer` (answered otherwise). `down()` stops listening (connections are refused) and `up()`
 * listens again on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Every verified request, whatever it was answered. */
  readonly requests: ReceivedWebhook[] = [];
  rejected = 0;
  secrets: string[] = [];
  answer: (w: ReceivedWebhook, n: number) => Answer | Promise<Answer> = () => ({ status: 204 });
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }

  /** The data of the distinct messages received (2xx), by webhook-id, in arrival order. */
  distinct(): ReceivedWebhook[] {
    const seen = new Set<string>();
    return this.received.filter((w) => (seen.has(w.id) ? false : (seen.add(w.id), true)));
  }

  /** Every verified body, whatever it was answered, joined (to look for what must never be sent). */
  raw(): string {
    return this.requests.map((w) => w.raw).join('\n');
  }

  seqs(): number[] {
    return this.distinct().map((w) => w.body.data.seq);
  }

  async waitFor(pred: (r: ReceivedWebhook[]) => boolean, ms = 10_000, what = 'webhooks'): Promise<void> {
    const until = Date.now() + ms;
    while (!pred(this.received)) {
      if (Date.now() > until)
        throw new Error(`timed out waiting for ${what}; received seqs ${JSON.stringify(this.seqs())}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    // Accepted when any of the endpoint's secrets verifies it (the library checks the timestamp too).
    const ok = this.secrets.some((s) => {
      try {
        new Webhook(s).verify(raw, headers);
        return true;
      } catch {
        return false;
      }
    });
    if (!ok) {
      this.rejected++;
      res.writeHead(401).end('bad signature');
      return;
    }
    const w: ReceivedWebhook = {
      id: headers['webhook-id'],
      timestamp: Number(headers['webhook-timestamp']),
      body: JSON.parse(raw) as ReceivedWebhook['body'],
      raw,
      signature: headers['webhook-signature'],
      at: Date.now(),
    };
    this.requests.push(w);
    const a = await this.answer(w, this.requests.length);
    if (a === 'hangUp') {
      req.socket.destroy();
      return;
    }
    if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
    if (a.status >= 200 && a.status < 300) this.received.push(w);
    if (!res.destroyed) res.writeHead(a.status, a.headers).end(a.body ?? '');
  }
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const r = new WebhookReceiver();
  await r.up();
  return r;
}
