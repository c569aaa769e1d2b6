import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), DOCKET_DATA_DIR: '/tmp/docket-config-test' };
const fails = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('takes the defaults, including the scheduler’s and the realtime ones', () => {
    const c = loadConfig(base);
    expect(c.scheduler).toEqual({
      pollMs: 1000,
      lockLifetimeMs: 60_000,
      lockLimit: 300,
      horizonMs: 60_000,
    });
    expect(c.realtime).toEqual({
      pollMs: 2000,
      maxBuffered: 1000,
      keepAliveMs: 12_000,
      maxSubscriptions: 100,
    });
    expect(c.jwt.jwks).toBeUndefined();
    expect(c.jwt.createRequesters).toBe(false);
    expect(c.limits).toEqual({
      maxDepth: 12,
      maxAliases: 30,
      maxCost: 20_000,
      maxBodyBytes: 1_048_576,
      userPerMinute: 600,
      keyPerMinute: 1200,
      introspection: true,
    });
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).limits.introspection).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: 'production', INTROSPECTION: 'true' }).limits.introspection).toBe(
      true,
    );
  });

  it('names the variable to fix in one line, and never echoes a secret', () => {
    expect(fails({ PORT: 'eighty' })).toMatch(/^Invalid configuration: PORT .*\(got "eighty"\)$/);
    expect(fails({ REALTIME_BUFFER: '5' })).toBe(
      'Invalid configuration: REALTIME_BUFFER must be at least 10 (got "5")',
    );
    expect(fails({ WS_MAX_SUBSCRIPTIONS: '0' })).toBe(
      'Invalid configuration: WS_MAX_SUBSCRIPTIONS must be at least 1 (got "0")',
    );
    expect(fails({ JWT_SECRET: 'short-secret' })).not.toContain('short-secret');
  });

  it('reports every bad variable at once, one line each', () => {
    const lines = fails({ PORT: 'eighty', JWT_TTL: '1w', SCHEDULER: 'maybe' }).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Invalid configuration: PORT .*\(got "eighty"\)$/);
    expect(lines).toContain(
      'Invalid configuration: JWT_TTL must be a duration such as 15m, 12h or 30d (got "1w")',
    );
    expect(lines.find((l) => l.includes('SCHEDULER'))).toMatch(/must be on, off or auto/);
  });

  it('every switch takes on and off (and true/false, yes/no, 1/0)', () => {
    for (const [off, on] of [
      ['off', 'on'],
      ['false', 'true'],
      ['no', 'yes'],
      ['0', '1'],
    ]) {
      const c = loadConfig({ ...base, INTROSPECTION: off, SCHEDULER: off, DEMO_DATA: on });
      expect([c.limits.introspection, c.schedulerInProcess, c.demoData]).toEqual([false, false, true]);
      const d = loadConfig({ ...base, INTROSPECTION: on, SCHEDULER: on, DEMO_DATA: off });
      expect([d.limits.introspection, d.schedulerInProcess, d.demoData]).toEqual([true, true, false]);
    }
  });

  it('an identity provider’s key set needs its issuer and audience', () => {
    expect(fails({ JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' })).toContain(
      'JWT_JWKS_URL needs JWT_JWKS_ISSUER and JWT_JWKS_AUDIENCE',
    );
    expect(fails({ JWT_JWKS_URL: 'not a url', JWT_JWKS_ISSUER: 'a', JWT_JWKS_AUDIENCE: 'b' })).toMatch(
      /^Invalid configuration: JWT_JWKS_URL/,
    );
    const c = loadConfig({
      ...base,
      JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      JWT_JWKS_ISSUER: 'https://idp.example/',
      JWT_JWKS_AUDIENCE: 'docket-api',
      JWT_CREATE_REQUESTERS: 'yes',
    });
    expect(c.jwt.jwks).toEqual({
      url: 'https://idp.example/.well-known/jwks.json',
      issuer: 'https://idp.example/',
      audience: 'docket-api',
    });
    expect(c.jwt.createRequesters).toBe(true);
  });

  it('serves GraphiQL outside production only, and metrics where they are protected', () => {
    const dev = loadConfig(base).ops;
    expect(dev.graphiql).toBe(true);
    expect(dev.wallboard).toBe(true);
    expect(dev.metrics).toMatchObject({ enabled: true, exposure: 'main', token: undefined });
    expect(dev.tracing).toBeUndefined();
    const prod = loadConfig({ ...base, NODE_ENV: 'production' }).ops;
    expect(prod.graphiql).toBe(false);
    // Production serves /metrics only behind a token or on a port of its own.
    expect(prod.metrics.exposure).toBe('none');
    const token = 'm'.repeat(24);
    expect(loadConfig({ ...base, NODE_ENV: 'production', METRICS_TOKEN: token }).ops.metrics).toMatchObject({
      exposure: 'main',
      token,
    });
    expect(
      loadConfig({ ...base, NODE_ENV: 'production', METRICS_PORT: '9464', HOST: '127.0.0.1' }).ops.metrics,
    ).toMatchObject({ exposure: 'port', port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ ...base, METRICS: 'false' }).ops.metrics.exposure).toBe('none');
    expect(loadConfig({ ...base, NODE_ENV: 'production', GRAPHIQL: 'true' }).ops.graphiql).toBe(true);
    expect(fails({ METRICS_TOKEN: 'short-metrics' })).not.toContain('short-metrics');
    expect(fails({ METRICS_PORT: '0' })).toMatch(/^Invalid configuration: METRICS_PORT/);
  });

  it('traces only when an OTLP endpoint is set', () => {
    expect(
      loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).ops.tracing,
    ).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'docket',
    });
    expect(
      loadConfig({
        ...base,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'docket-eu',
      }).ops.tracing,
    ).toEqual({ url: 'http://other:4318/traces', protocol: 'http/json', serviceName: 'docket-eu' });
    expect(fails({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(
      /^Invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(
      fails({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).toContain('gRPC is not supported');
  });
  it('inbound mail: addresses default to the reply address, the listener and endpoint are off until set, bad values named', () => {
    const c = loadConfig({
      ...base,
      MAIL_FROM: 'Desk <desk@example.com>',
      MAIL_REPLY_TO: 'Support@Example.com',
    });
    expect(c.inbound).toMatchObject({
      addresses: ['support@example.com'],
      smtp: undefined,
      httpToken: undefined,
      newSenders: 'organization',
      perSenderPerHour: 60,
      auth: 'off',
      maxBytes: 25 * 1024 * 1024,
    });
    expect(c.attachments).toMatchObject({ maxFileBytes: 10 * 1024 * 1024, linkTtlSeconds: 300 });
    const on = loadConfig({
      ...base,
      INBOUND_SMTP_PORT: '2525',
      INBOUND_ADDRESSES: 'a@x.example, b@x.example',
    });
    expect(on.inbound.smtp).toMatchObject({ port: 2525, host: '0.0.0.0', process: 'serve' });
    expect(on.inbound.addresses).toEqual(['a@x.example', 'b@x.example']);
    expect(fails({ INBOUND_ADDRESSES: 'support+x@example.com' })).toMatch(
      /^Invalid configuration: INBOUND_ADDRESSES /,
    );
    expect(fails({ INBOUND_SMTP_TLS_KEY: '/k.pem' })).toMatch(
      /INBOUND_SMTP_TLS_KEY and INBOUND_SMTP_TLS_CERT go together/,
    );
    expect(
      fails({
        INBOUND_SMTP_PORT: '2525',
        INBOUND_SMTP_TLS_KEY: '/nope/k.pem',
        INBOUND_SMTP_TLS_CERT: '/nope/c.pem',
      }),
    ).toMatch(/^Invalid configuration: INBOUND_SMTP_TLS_KEY cannot be read/);
    expect(fails({ INBOUND_NEW_SENDERS: 'everyone' })).toMatch(
      /INBOUND_NEW_SENDERS must be organization, anyone or known/,
    );
    expect(fails({ INBOUND_HTTP_TOKEN: 'short-token' })).not.toContain('short-token');
  });
});
