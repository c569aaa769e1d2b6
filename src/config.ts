import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SCHEDULER_DEFAULTS } from './scheduler/defaults.js';

/**
 * Typed configuration from the environment, validated once at start.
 * Every variable is documented in `.env.example`; a bad value stops start-up with one line naming it.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (fallback: number) =>
  z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(fallback);

/** Every on/off switch takes the same words (and `auto`, meaning the documented default). */
const boolish = z
  .enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no', 'auto'], {
    message: 'must be on, off or auto (true/false, yes/no and 1/0 work too)',
  })
  .optional();

/** An email address (no spaces, one @, a dot in the domain): what mail headers may carry. */
const ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
/** An address, or a display name and an address in angle brackets (no control characters). */
const MAILBOX =
  // eslint-disable-next-line no-control-regex
  /^(?:[^\u0000-\u001f<>"]{0,100}<[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+>|[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+)$/;

const schema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { message: 'must be development, production or test' })
    .default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  MONGODB_URL: z
    .string()
    .regex(
      /^mongodb(\+srv)?:\/\//,
      'must be a mongodb:// or mongodb+srv:// URL (a replica set in production)',
    )
    .optional(),
  SCHEDULER: boolish,
  SCHEDULER_POLL_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(100, 'must be at least 100')
    .default(SCHEDULER_DEFAULTS.processEveryMs),
  SCHEDULER_LOCK_LIFETIME_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(1000, 'must be at least 1000')
    .default(SCHEDULER_DEFAULTS.lockLifetimeMs),
  SCHEDULER_LOCK_LIMIT: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1, 'must be at least 1')
    .default(SCHEDULER_DEFAULTS.lockLimit),
  SCHEDULER_HORIZON_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(4000, 'must be at least 4000')
    .default(SCHEDULER_DEFAULTS.horizonMs),
  REALTIME_POLL_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(100, 'must be at least 100')
    .default(2000),
  REALTIME_BUFFER: z.coerce
    .number({ message: 'must be a number of events' })
    .int()
    .min(10, 'must be at least 10')
    .default(1000),
  WS_KEEPALIVE_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(0, 'must be 0 (off) or more')
    .default(12_000),
  WS_MAX_SUBSCRIPTIONS: z.coerce
    .number({ message: 'must be a number of subscriptions' })
    .int()
    .min(1, 'must be at least 1')
    .default(100),
  MAX_QUERY_DEPTH: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(2, 'must be at least 2')
    .default(12),
  MAX_QUERY_ALIASES: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(0, 'must be 0 or more')
    .default(30),
  MAX_QUERY_COST: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1, 'must be at least 1')
    .default(20_000),
  MAX_BODY_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024')
    .default(1_048_576),
  RATE_LIMIT_USER_PER_MINUTE: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(0, 'must be 0 (off) or more')
    .default(600),
  RATE_LIMIT_KEY_PER_MINUTE: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(0, 'must be 0 (off) or more')
    .default(1200),
  INTROSPECTION: boolish,
  DOCKET_DATA_DIR: z.string().min(1).default('.docket'),
  EMBEDDED_PG_PORT: port(54329),
  DB_POOL_MAX: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200, 'must be at most 200')
    .default(10),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (try: openssl rand -hex 32)').optional(),
  JWT_ISSUER: z.string().min(1).default('docket'),
  JWT_AUDIENCE: z.string().min(1).default('docket'),
  JWT_TTL: z
    .string()
    .regex(/^\d+[smhd]$/, 'must be a duration such as 15m, 12h or 30d')
    .default('12h'),
  JWT_JWKS_URL: z
    .string()
    .url('must be the https:// URL of your identity provider’s JSON Web Key Set')
    .optional(),
  JWT_JWKS_ISSUER: z.string().min(1).optional(),
  JWT_JWKS_AUDIENCE: z.string().min(1).optional(),
  JWT_CREATE_REQUESTERS: boolish,
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  DEMO_DATA: boolish,
  MIGRATE_ON_START: boolish,
  REQUESTERS_SEE_ORGANIZATION_TICKETS: boolish,
  // Notifications and the outbox (docs/NOTIFICATIONS.md, docs/OUTBOX.md).
  NOTIFICATIONS: boolish,
  SMTP_URL: z
    .string()
    .regex(
      /^smtps?:\/\/[^/\s]+/,
      'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587',
    )
    .optional(),
  SMTP_TLS_REJECT_UNAUTHORIZED: boolish,
  SMTP_REQUIRE_TLS: boolish,
  SMTP_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(1000, 'must be at least 1000')
    .default(30_000),
  MAIL_FROM: z
    .string()
    .regex(MAILBOX, 'must be an address, optionally with a name: Support <support@example.com>')
    .default('Docket Support <support@docket.local>'),
  MAIL_REPLY_TO: z.string().regex(ADDRESS, 'must be an email address such as support@example.com').optional(),
  PUBLIC_URL: z.string().url('must be the http(s):// URL this server is reached at').optional(),
  PORTAL_URL: z.string().url('must be the http(s):// URL of your customer portal').optional(),
  NOTIFY_MAX_ATTEMPTS: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1, 'must be at least 1')
    .max(50, 'must be at most 50')
    .default(8),
  NOTIFY_RETRY_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(10, 'must be at least 10')
    .default(60_000),
  NOTIFY_RETRY_MAX_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(10, 'must be at least 10')
    .default(3_600_000),
  NOTIFY_CONCURRENCY: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(10),
  OUTBOX_LANES: z.coerce
    .number({ message: 'must be a number' })
    .int()
    .min(1, 'must be at least 1')
    .max(64, 'must be at most 64')
    .default(4),
  OUTBOX_LEASE_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(500, 'must be at least 500')
    .default(120_000),
  OUTBOX_SWEEP_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int()
    .min(200, 'must be at least 200')
    .default(10_000),
  // Inbound email and attachments (docs/INBOUND.md).
  INBOUND_ADDRESSES: z
    .string()
    .refine(
      (v) => v.split(',').every((a) => ADDRESS.test(a.trim()) && !a.split('@')[0]!.includes('+')),
      'must be a comma-separated list of support addresses without "+" (support@example.com,help@example.com)',
    )
    .optional(),
  INBOUND_SMTP_PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 (any free port) and 65535')
    .max(65535, 'must be between 0 (any free port) and 65535')
    .optional(),
  INBOUND_SMTP_HOST: z.string().min(1).optional(),
  INBOUND_SMTP_PROCESS: z.enum(['serve', 'worker'], { message: 'must be serve or worker' }).default('serve'),
  INBOUND_SMTP_TLS_KEY: z.string().min(1).optional(),
  INBOUND_SMTP_TLS_CERT: z.string().min(1).optional(),
  INBOUND_MAX_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(10_240, 'must be at least 10240')
    .max(100 * 1024 * 1024, 'must be at most 104857600 (100 MB)')
    .default(25 * 1024 * 1024),
  INBOUND_HTTP_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (try: openssl rand -hex 24)')
    .optional(),
  INBOUND_NEW_SENDERS: z
    .enum(['organization', 'anyone', 'known'], { message: 'must be organization, anyone or known' })
    .default('organization'),
  INBOUND_RATE_PER_HOUR: z.coerce
    .number({ message: 'must be a number of messages' })
    .int()
    .min(0, 'must be 0 (off) or more')
    .default(60),
  INBOUND_AUTH: z
    .enum(['off', 'record', 'enforce'], { message: 'must be off, record or enforce' })
    .default('off'),
  ATTACHMENT_MAX_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024')
    .default(10 * 1024 * 1024),
  ATTACHMENT_MAX_TICKET_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int()
    .min(1024, 'must be at least 1024')
    .default(50 * 1024 * 1024),
  ATTACHMENT_LINK_TTL_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds' })
    .int()
    .min(10, 'must be at least 10')
    .max(86_400, 'must be at most 86400 (a day)')
    .default(300),
  GRAPHIQL: boolish,
  WALLBOARD: boolish,
  METRICS: boolish,
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (try: openssl rand -hex 24)').optional(),
  METRICS_PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .optional(),
  METRICS_HOST: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .regex(
      /^https?:\/\/[^/]/,
      'must be the http(s):// URL of your OpenTelemetry collector (e.g. http://localhost:4318)',
    )
    .optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .regex(
      /^https?:\/\/[^/]/,
      'must be the full http(s):// URL traces are sent to (e.g. http://localhost:4318/v1/traces)',
    )
    .optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/protobuf', 'http/json'], {
      message: 'must be http/protobuf or http/json (gRPC is not supported: use port 4318 of the collector)',
    })
    .default('http/protobuf'),
  OTEL_SERVICE_NAME: z.string().min(1).default('docket'),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Undefined means "start the embedded PostgreSQL in dataDir". */
  databaseUrl?: string;
  /** Agenda's job store; undefined: the PostgreSQL database. */
  mongoUrl?: string;
  /** Whether `serve` also runs the scheduler (off: API only; a `worker` runs it). */
  schedulerInProcess: boolean;
  scheduler: {
    pollMs: number;
    lockLifetimeMs: number;
    lockLimit: number;
    /** Deadlines due within this (ms) are in the job store; later ones are promoted as they come near. */
    horizonMs: number;
  };
  /** Request limits: see docs/ACCESS.md. Rate limits are operations per minute (0: off). */
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxBodyBytes: number;
    userPerMinute: number;
    keyPerMinute: number;
    introspection: boolean;
  };
  /** Subscriptions: how often the feed reads the log without a NOTIFY, events held per slow subscriber, WS pings. */
  realtime: { pollMs: number; maxBuffered: number; keepAliveMs: number; maxSubscriptions: number };
  dataDir: string;
  embeddedPgPort: number;
  dbPoolMax: number;
  jwt: {
    secret: string;
    issuer: string;
    audience: string;
    ttl: string;
    /** The identity provider's RS256 key set, when tokens come from it too. */
    jwks?: { url: string; issuer: string; audience: string };
    /** Create a requester for an identity provider's user not known yet (by the email claim). */
    createRequesters: boolean;
  };
  logLevel: (typeof LOG_LEVELS)[number];
  /** Load the demo data at start (default: only when running on the embedded database). */
  demoData: boolean;
  migrateOnStart: boolean;
  /** Whether a requester sees every ticket of their organization, not only their own. */
  requestersSeeOrganizationTickets: boolean;
  notify: NotifyConfig;
  /** Inbound email: docs/INBOUND.md. */
  inbound: InboundConfig;
  /** Attachments: docs/INBOUND.md. */
  attachments: AttachmentsConfig;
  /** The browser pages, metrics and traces: docs/OPERATIONS.md. */
  ops: OpsConfig;
}

export interface NotifyConfig {
  /** Off: no consumer derives messages (the cursor waits where it is). */
  enabled: boolean;
  /** Unset: messages are written as .eml files into `outboxDir`. */
  smtp?: { url: string; rejectUnauthorized: boolean; requireTls: boolean; timeoutMs: number };
  outboxDir: string;
  from: { name?: string; address: string };
  /** Replies go to this address, plus-addressed with the ticket's reference (support+tck-000123@…). */
  replyTo: string;
  /** The domain of Message-IDs (the From address's). */
  messageIdDomain: string;
  /** Where this server is reached (survey links). */
  publicUrl: string;
  /** The customer portal (ticket links: `<portalUrl>/tickets/<reference>`). */
  portalUrl: string;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  concurrency: number;
  lanes: number;
  leaseMs: number;
  sweepMs: number;
  /** Signs survey links (HMAC-SHA256), derived from the JWT secret. */
  surveySecret: string;
}

/** Inbound email (docs/INBOUND.md). */
export interface InboundConfig {
  /** The support addresses mail is accepted for (lower case); their plus-addresses too. */
  addresses: string[];
  /** The built-in SMTP listener: off when undefined. Port 0 takes any free port (tests). */
  smtp?: {
    port: number;
    host: string;
    /** Which command runs it: `serve` (default) or `worker`. */
    process: 'serve' | 'worker';
    /** Both set: STARTTLS is offered with this key and certificate (PEM file contents). */
    tls?: { key: Buffer; cert: Buffer };
  };
  /** Largest message accepted, in bytes (SMTP SIZE, and the HTTP endpoint's body limit). */
  maxBytes: number;
  /** The HTTP endpoint `POST /inbound/email` is on when set; its bearer token or Basic password. */
  httpToken?: string;
  /**
   * Who may open a ticket by mail: `organization` (known requesters, and unknown senders from an
   * organization's email domain, created as its requesters), `anyone` (unknown senders become requesters
   * without organization), `known` (existing requesters only).
   */
  newSenders: 'organization' | 'anyone' | 'known';
  /** Messages per sender address per hour before the rest is ignored (0: no limit). */
  perSenderPerHour: number;
  /** DKIM/SPF/DMARC (mailauth): off, record the verdict, or enforce (refuse a DMARC failure). */
  auth: 'off' | 'record' | 'enforce';
}

/** Attachments (docs/INBOUND.md). */
export interface AttachmentsConfig {
  /** Largest file, in bytes. */
  maxFileBytes: number;
  /** Most bytes of attachments one ticket holds. */
  maxTicketBytes: number;
  /** How long a signed download or upload link works, in seconds. */
  linkTtlSeconds: number;
  /** Signs download and upload links (HMAC-SHA256), derived from the JWT secret. */
  linkSecret: string;
}

/** What operators and explorers get besides the API (docs/OPERATIONS.md). */
export interface OpsConfig {
  /** GraphiQL at `GET /graphql` for browsers (default: on outside production). */
  graphiql: boolean;
  /** The live wallboard at `/wallboard` (default: on; it asks for a staff token). */
  wallboard: boolean;
  metrics: {
    /** Collect metrics at all (METRICS, default on). */
    enabled: boolean;
    /**
     * Where `/metrics` is served: `port` on its own listener (METRICS_PORT, on METRICS_HOST), `main` on
     * the API's port, `none` (production without METRICS_TOKEN or METRICS_PORT, or METRICS=off).
     */
    exposure: 'port' | 'main' | 'none';
    /** A scrape must send `Authorization: Bearer <token>` when set. */
    token?: string;
    port?: number;
    host: string;
  };
  /** Set only when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is: tracing is off otherwise. */
  tracing?: {
    /** Where spans are sent: the traces endpoint, or the endpoint + `/v1/traces`. */
    url: string;
    protocol: 'http/protobuf' | 'http/json';
    serviceName: string;
  };
}

/** Never echoed back in an error message. */
const SECRETS = new Set([
  'JWT_SECRET',
  'DATABASE_URL',
  'MONGODB_URL',
  'SMTP_URL',
  'METRICS_TOKEN',
  'INBOUND_HTTP_TOKEN',
]);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const truthy = (v: string | undefined, fallback: boolean) =>
  v === undefined || v === 'auto' ? fallback : v === 'on' || v === 'true' || v === '1' || v === 'yes';

/** Parses the environment. Throws a ConfigError whose message is one line saying what to fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    // Every bad variable at once, one line each, so a deployment is fixed in one round.
    const lines = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (lines.has(name)) continue;
      const got = SECRETS.has(name) ? '' : ` (got ${JSON.stringify(env[name])})`;
      lines.set(name, `Invalid configuration: ${name} ${issue.message}${got}`);
    }
    throw new ConfigError([...lines.values()].join('\n'));
  }
  const e = parsed.data;
  if (e.JWT_JWKS_URL && (!e.JWT_JWKS_ISSUER || !e.JWT_JWKS_AUDIENCE))
    throw new ConfigError(
      'Invalid configuration: JWT_JWKS_URL needs JWT_JWKS_ISSUER and JWT_JWKS_AUDIENCE (the iss and aud your identity provider puts in its tokens)',
    );
  const dataDir = path.resolve(e.DOCKET_DATA_DIR);
  let secret = e.JWT_SECRET;
  if (!secret) {
    if (e.NODE_ENV === 'production') {
      throw new ConfigError(
        'Invalid configuration: JWT_SECRET is required in production (try: openssl rand -hex 32)',
      );
    }
    secret = localDevSecret(dataDir);
  }
  const notify = notifyConfig(e, dataDir, secret);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    mongoUrl: e.MONGODB_URL,
    schedulerInProcess: truthy(e.SCHEDULER, true),
    scheduler: {
      pollMs: e.SCHEDULER_POLL_MS,
      lockLifetimeMs: e.SCHEDULER_LOCK_LIFETIME_MS,
      lockLimit: e.SCHEDULER_LOCK_LIMIT,
      horizonMs: e.SCHEDULER_HORIZON_MS,
    },
    limits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_QUERY_ALIASES,
      maxCost: e.MAX_QUERY_COST,
      maxBodyBytes: e.MAX_BODY_BYTES,
      userPerMinute: e.RATE_LIMIT_USER_PER_MINUTE,
      keyPerMinute: e.RATE_LIMIT_KEY_PER_MINUTE,
      introspection: truthy(e.INTROSPECTION, e.NODE_ENV !== 'production'),
    },
    realtime: {
      pollMs: e.REALTIME_POLL_MS,
      maxBuffered: e.REALTIME_BUFFER,
      keepAliveMs: e.WS_KEEPALIVE_MS,
      maxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
    },
    dataDir,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    dbPoolMax: e.DB_POOL_MAX,
    jwt: {
      secret,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      ttl: e.JWT_TTL,
      jwks: e.JWT_JWKS_URL
        ? { url: e.JWT_JWKS_URL, issuer: e.JWT_JWKS_ISSUER!, audience: e.JWT_JWKS_AUDIENCE! }
        : undefined,
      createRequesters: truthy(e.JWT_CREATE_REQUESTERS, false),
    },
    logLevel: e.LOG_LEVEL,
    demoData: truthy(e.DEMO_DATA, !e.DATABASE_URL),
    migrateOnStart: truthy(e.MIGRATE_ON_START, true),
    requestersSeeOrganizationTickets: truthy(e.REQUESTERS_SEE_ORGANIZATION_TICKETS, false),
    notify,
    inbound: inboundConfig(e, notify),
    attachments: {
      maxFileBytes: e.ATTACHMENT_MAX_BYTES,
      maxTicketBytes: Math.max(e.ATTACHMENT_MAX_TICKET_BYTES, e.ATTACHMENT_MAX_BYTES),
      linkTtlSeconds: e.ATTACHMENT_LINK_TTL_SECONDS,
      linkSecret: createHmac('sha256', secret).update('docket:attachment-links').digest('hex'),
    },
    ops: opsConfig(e),
  };
}

function opsConfig(e: z.infer<typeof schema>): OpsConfig {
  const enabled = truthy(e.METRICS, true);
  const exposure = !enabled
    ? 'none'
    : e.METRICS_PORT !== undefined
      ? 'port'
      : e.METRICS_TOKEN !== undefined || e.NODE_ENV !== 'production'
        ? 'main'
        : 'none';
  const traces =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  return {
    graphiql: truthy(e.GRAPHIQL, e.NODE_ENV !== 'production'),
    wallboard: truthy(e.WALLBOARD, true),
    metrics: {
      enabled,
      exposure,
      token: e.METRICS_TOKEN,
      port: e.METRICS_PORT,
      host: e.METRICS_HOST ?? e.HOST,
    },
    tracing: traces
      ? { url: traces, protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL, serviceName: e.OTEL_SERVICE_NAME }
      : undefined,
  };
}

/** A PEM file named by a variable, read at start; a missing file stops start-up naming the variable. */
function pemFile(name: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${name} cannot be read (${(err as Error).message})`);
  }
}

function inboundConfig(e: z.infer<typeof schema>, notify: NotifyConfig): InboundConfig {
  if (Boolean(e.INBOUND_SMTP_TLS_KEY) !== Boolean(e.INBOUND_SMTP_TLS_CERT))
    throw new ConfigError(
      'Invalid configuration: INBOUND_SMTP_TLS_KEY and INBOUND_SMTP_TLS_CERT go together (the PEM files of the key and the certificate for STARTTLS)',
    );
  const addresses = (e.INBOUND_ADDRESSES ?? notify.replyTo)
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  return {
    addresses: [...new Set(addresses)],
    smtp:
      e.INBOUND_SMTP_PORT === undefined
        ? undefined
        : {
            port: e.INBOUND_SMTP_PORT,
            host: e.INBOUND_SMTP_HOST ?? e.HOST,
            process: e.INBOUND_SMTP_PROCESS,
            tls:
              e.INBOUND_SMTP_TLS_KEY && e.INBOUND_SMTP_TLS_CERT
                ? {
                    key: pemFile('INBOUND_SMTP_TLS_KEY', e.INBOUND_SMTP_TLS_KEY),
                    cert: pemFile('INBOUND_SMTP_TLS_CERT', e.INBOUND_SMTP_TLS_CERT),
                  }
                : undefined,
          },
    maxBytes: e.INBOUND_MAX_BYTES,
    httpToken: e.INBOUND_HTTP_TOKEN,
    newSenders: e.INBOUND_NEW_SENDERS,
    perSenderPerHour: e.INBOUND_RATE_PER_HOUR,
    auth: e.INBOUND_AUTH,
  };
}

function notifyConfig(e: z.infer<typeof schema>, dataDir: string, jwtSecret: string): NotifyConfig {
  const from = /^(.*)<([^>]+)>$/.exec(e.MAIL_FROM.trim());
  const fromAddress = (from ? from[2]! : e.MAIL_FROM).trim();
  const fromName = from?.[1]!.trim().replace(/^"|"$/g, '') || undefined;
  const replyTo = e.MAIL_REPLY_TO ?? fromAddress;
  if (replyTo.split('@')[0]!.includes('+'))
    throw new ConfigError(
      'Invalid configuration: MAIL_REPLY_TO must not contain "+": Docket adds +<reference> to it for replies',
    );
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    enabled: truthy(e.NOTIFICATIONS, true),
    smtp: e.SMTP_URL
      ? {
          url: e.SMTP_URL,
          rejectUnauthorized: truthy(e.SMTP_TLS_REJECT_UNAUTHORIZED, true),
          requireTls: truthy(e.SMTP_REQUIRE_TLS, false),
          timeoutMs: e.SMTP_TIMEOUT_MS,
        }
      : undefined,
    outboxDir: path.join(dataDir, 'outbox'),
    from: { name: fromName, address: fromAddress },
    replyTo,
    messageIdDomain: fromAddress.split('@')[1]!.toLowerCase(),
    publicUrl,
    portalUrl: (e.PORTAL_URL ?? publicUrl).replace(/\/+$/, ''),
    maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
    retryBaseMs: e.NOTIFY_RETRY_MS,
    retryMaxMs: Math.max(e.NOTIFY_RETRY_MAX_MS, e.NOTIFY_RETRY_MS),
    concurrency: e.NOTIFY_CONCURRENCY,
    lanes: e.OUTBOX_LANES,
    leaseMs: Math.max(e.OUTBOX_LEASE_MS, 0),
    sweepMs: e.OUTBOX_SWEEP_MS,
    surveySecret: createHmac('sha256', jwtSecret).update('docket:satisfaction-survey-links').digest('hex'),
  };
}

/**
 * Outside production a missing JWT_SECRET is generated once and kept in the data folder, so the server
 * and `npm run token` agree without any set-up and tokens survive restarts.
 */
function localDevSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
