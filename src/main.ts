/**
 * The entry point: `node dist/src/main.js serve|worker|migrate|seed|token|apikey|migration:create`.
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, tracing (src/ops/tracing.ts) must start before the modules it
 * instruments (http, express, graphql, pg) are loaded, so the commands (src/cli.ts) are imported only
 * after it. Without it, nothing of OpenTelemetry is loaded. A bad configuration is left to cli.ts,
 * which reports it in one line.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';

function packageVersion(): string {
  for (const up of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not there from this folder: dist/src/ and src/ sit at different depths
    }
  }
  return 'unknown';
}

let tracing: ReturnType<typeof loadConfig>['ops']['tracing'];
try {
  tracing = loadConfig().ops.tracing;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
}
if (tracing) {
  const { startTracing } = await import('./ops/tracing.js');
  await startTracing(tracing, packageVersion());
}
await import('./cli.js');
