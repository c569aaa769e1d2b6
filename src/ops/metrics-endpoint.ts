import { timingSafeEqual, createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpsConfig } from '../config.js';
import type { Logger } from '../shared/logger.js';
import { renderMetrics } from './metrics.js';

/** Whether an Authorization header carries the metrics token (compared in constant time). */
function authorised(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * Answers a scrape: 401 without the right bearer token (when METRICS_TOKEN is set), else the text
 * exposition. Plain node:http so it serves the API's Express app and the separate metrics port alike.
 */
export async function handleScrape(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  token: string | undefined,
  logger: Logger,
): Promise<void> {
  if (!authorised(req.headers.authorization, token)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' });
    res.end('Send Authorization: Bearer <METRICS_TOKEN>\n');
    return;
  }
  try {
    const { contentType, body } = await renderMetrics();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  } catch (err) {
    logger.error({ err }, 'rendering metrics failed');
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('Internal server error\n');
  }
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** `/metrics` on a listener of its own (METRICS_PORT on METRICS_HOST), for `serve` and `worker` alike. */
export async function startMetricsServer(
  metrics: OpsConfig['metrics'],
  logger: Logger,
  port = metrics.port ?? 0,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      void handleScrape(req, res, metrics.token, logger);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found: metrics are at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `METRICS_PORT ${port} is in use: choose another port`
            : `the metrics listener could not start: ${err.message}`,
        ),
      ),
    );
    server.listen(port, metrics.host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const shownHost = metrics.host === '0.0.0.0' || metrics.host === '::' ? 'localhost' : metrics.host;
  return {
    url: `http://${shownHost}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
