/**
 * Environment (and CLI flags) -> one typed, validated config. A bad value stops startup with a
 * message that names the variable.
 */
import { availableParallelism } from 'node:os';
import { parseSecretKey } from './infra/secret-box.js';
import { logFormatOf, type LogFormat } from './infra/log-format.js';
import { parseDatabaseUrl, redactUrl } from './store/db.js';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  /** The externally visible base URL, for links in emails. */
  publicUrl: string;
  /** The web app users log in to: Chatwoot's SSO login links point at `<frontendUrl>/app/login`. */
  frontendUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines, or pino-pretty's readable lines (LOG_FORMAT; default: pretty on a terminal). */
  logFormat: LogFormat;
  /** How long a node trusts a credential lookup; also the most a revocation takes to reach it. */
  credentialCacheTtlMs: number;
  /** The largest avatar a Chatwoot client may upload, in bytes (AVATAR_MAX_BYTES). */
  avatarMaxBytes: number;
  dbPoolSize: number;
  /** Password hashes and verifications run at once (identity/passwords.ts). */
  passwordHashConcurrency: number;
  dbStatementTimeoutMs: number;
  /** PostgreSQL: the longest wait for a connection (new, or a free one from a full pool). */
  dbConnectTimeoutMs: number;
  /** Rate-limit counters shared by every node; in memory (per node) when unset. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key roster writes, so several installations can share one Redis. */
  redisKeyPrefix: string;
  /** Trust X-Forwarded-For from a load balancer (client IPs for rate limits and logs). */
  /**
   * Which X-Forwarded-For hops to believe: false (none), a hop count, or the proxies' addresses and
   * CIDR ranges. `true` believes every hop, so a client can choose its own IP: for a trusted network only.
   */
  trustProxy: boolean | number | string[];
  /** Create a demo company and credentials when the database is new. */
  seedDemo: boolean;
  /** Serve Prometheus metrics at GET /metrics. */
  metrics: boolean;
  /** How long a stop (SIGTERM, SIGINT) may take, whatever clients do; then the process exits. */
  shutdownTimeoutMs: number;
  http: HttpConfig;
  /** Failed API-credential checks allowed per client address and per credential id. */
  credentialLimits: CredentialLimitsConfig;
  /**
   * The key that encrypts secrets roster must read back (ROSTER_SECRET_KEY; 32 bytes, hex or base64),
   * and previous keys that still open values during a rotation (ROSTER_SECRET_KEY_PREVIOUS, comma
   * separated). Unset on SQLite: a key file beside the database, made at first start. Required on
   * PostgreSQL, where every node needs the same key.
   */
  secretKey: Buffer | undefined;
  previousSecretKeys: Buffer[];
  /** Plazbot login sessions, failed-login limits and mail. */
  auth: AuthConfig;
  mail: MailConfig;
  /** How many days events stay in the audit trail (AUDIT_RETENTION_DAYS); 0 keeps them for ever. */
  auditRetentionDays: number;
  webhooks: WebhookConfig;
  /** The admin console at /admin (docs/console.md). */
  console: ConsoleConfig;
}

export interface ConsoleConfig {
  /** ADMIN_CONSOLE: serve /admin (default true). */
  enabled: boolean;
  /** ADMIN_SESSION_TTL_SECONDS: how long an operator's login lasts. */
  sessionTtlSeconds: number;
}

export interface WebhookConfig {
  /** Send to loopback, link-local and private addresses (tests, closed networks). */
  allowPrivate: boolean;
  /** Attempts per delivery, the first included; the default schedule spans more than an hour. */
  maxAttempts: number;
  /** Backoff: a retry waits between half and all of base * 2^(attempt-1), at most retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** One attempt's time limit: connect, send, and the response's headers and body. */
  timeoutMs: number;
  /** How often the worker looks for due deliveries (it is also woken when this node queues one). */
  pollMs: number;
  /** A node that claimed a delivery and went silent for this long is taken to have died. */
  leaseMs: number;
  /** Deliveries this node sends at once (to different endpoints: each endpoint gets one at a time). */
  concurrency: number;
}

export interface HttpConfig {
  /** The longest a client may take to send a whole request, headers and body (then 408). */
  requestTimeoutMs: number;
  /** The longest a client may take to send the request headers; at most requestTimeoutMs. */
  headersTimeoutMs: number;
  /**
   * Open connections one client address may hold (an IPv6 client: its /64); 0 = no cap. Peers
   * that TRUST_PROXY trusts (load balancers) are not capped: the cap is for clients.
   */
  maxConnectionsPerIp: number;
}

export interface CredentialLimitsConfig {
  enabled: boolean;
  maxFailuresPerIp: number;
  maxFailuresPerCredential: number;
  windowSeconds: number;
}

export interface AuthConfig {
  sessionTtlSeconds: number;
  /** Failed logins allowed per email, and per client IP, within one window. */
  loginMaxFailures: number;
  loginMaxFailuresPerIp: number;
  loginWindowSeconds: number;
}

export interface MailConfig {
  /** smtp:// or smtps:// URL; undefined = mail waits in the outbox and is not sent. */
  smtpUrl: string | undefined;
  from: string;
  /** How often the sender looks for due messages (it is also woken when a message is queued here). */
  pollMs: number;
  /** A node that claimed a message and went silent for this long is taken to have died. */
  leaseMs: number;
  /**
   * SMTP connection, greeting and socket timeouts. At most half the lease, so a hung server makes a
   * send fail while the claim still holds, and no other node takes the message over mid-send.
   */
  smtpTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
}

export class ConfigError extends Error {}

function logFormat(env: Env): LogFormat {
  try {
    return logFormatOf(env.LOG_FORMAT, process.stdout.isTTY === true);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

export type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number (got "${raw}")`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false (got "${env[name]}")`);
}

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return undefined;
  let ok = false;
  try {
    const u = new URL(raw);
    ok = (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL (got "${redactUrl(raw)}")`);
  return raw;
}

/**
 * FRONTEND_URL: where login links point. An absolute http(s) URL without a trailing slash, query,
 * fragment or credentials, since a path is appended to it. Defaults to PUBLIC_URL.
 */
function frontendUrlOf(env: Env, publicUrl: string): string {
  const name = 'FRONTEND_URL';
  const value = (env[name]?.trim() || publicUrl).replace(/\/+$/, '');
  let ok = false;
  try {
    const u = new URL(value);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '' && u.username === '' && u.password === '';
  } catch {
    ok = false;
  }
  if (!ok) {
    const raw = env[name]?.trim();
    const got = raw ? `"${redactUrl(raw)}"` : `"${redactUrl(publicUrl)}" from PUBLIC_URL`;
    throw new ConfigError(`${name} must be an http(s) URL without query, fragment or credentials (got ${got})`);
  }
  return value;
}

function secretKeys(env: Env): { secretKey: Buffer | undefined; previousSecretKeys: Buffer[] } {
  const parse = (name: string, text: string) => {
    try {
      return parseSecretKey(text);
    } catch (err) {
      throw new ConfigError(`${name}: ${(err as Error).message}`);
    }
  };
  const current = env.ROSTER_SECRET_KEY?.trim();
  const previous = (env.ROSTER_SECRET_KEY_PREVIOUS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return {
    secretKey: current ? parse('ROSTER_SECRET_KEY', current) : undefined,
    previousSecretKeys: previous.map((k) => parse('ROSTER_SECRET_KEY_PREVIOUS', k)),
  };
}

function mailConfig(env: Env, publicUrl: string): MailConfig {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(smtpUrl);
      ok = (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://... (got "${redactUrl(smtpUrl)}")`);
  }
  const from = env.MAIL_FROM?.trim() || `roster <no-reply@${new URL(publicUrl).hostname.replace(/^\[|\]$/g, '') || 'localhost'}>`;
  // eslint-disable-next-line no-control-regex
  if (!/^[^@\s<>]+@[^@\s<>]+$|^[^<>\u0000-\u001f]*<[^@\s<>]+@[^@\s<>]+>$/.test(from)) {
    throw new ConfigError(`MAIL_FROM must be an address, e.g. no-reply@example.com or "Roster <no-reply@example.com>" (got "${env.MAIL_FROM}")`);
  }
  const retryBaseMs = int(env, 'MAIL_RETRY_BASE_MS', 30_000, 10, 3_600_000);
  const retryMaxMs = int(env, 'MAIL_RETRY_MAX_MS', 3_600_000, 10, 86_400_000);
  if (retryMaxMs < retryBaseMs) throw new ConfigError(`MAIL_RETRY_MAX_MS must not be below MAIL_RETRY_BASE_MS (${retryMaxMs} < ${retryBaseMs})`);
  const leaseMs = int(env, 'OUTBOX_LEASE_MS', 120_000, 1000, 3_600_000);
  const maxSmtpTimeoutMs = Math.floor(leaseMs / 2);
  const smtpTimeoutMs = int(env, 'SMTP_TIMEOUT_MS', Math.min(30_000, maxSmtpTimeoutMs), 100, 3_600_000);
  if (smtpTimeoutMs > maxSmtpTimeoutMs) {
    throw new ConfigError(
      `SMTP_TIMEOUT_MS must be at most half of OUTBOX_LEASE_MS (${smtpTimeoutMs} > ${leaseMs} / 2): a send must fail before its claim lapses, or another node sends the message again`,
    );
  }
  return {
    smtpUrl,
    from,
    pollMs: int(env, 'OUTBOX_POLL_MS', 2000, 10, 600_000),
    leaseMs,
    smtpTimeoutMs,
    retryBaseMs,
    retryMaxMs,
    maxAttempts: int(env, 'MAIL_MAX_ATTEMPTS', 10, 1, 1000),
  };
}

function webhookConfig(env: Env): WebhookConfig {
  const retryBaseMs = int(env, 'WEBHOOK_RETRY_BASE_MS', 5000, 10, 3_600_000);
  const retryMaxMs = int(env, 'WEBHOOK_RETRY_MAX_MS', 3_600_000, 10, 86_400_000);
  if (retryMaxMs < retryBaseMs) throw new ConfigError(`WEBHOOK_RETRY_MAX_MS must not be below WEBHOOK_RETRY_BASE_MS (${retryMaxMs} < ${retryBaseMs})`);
  const leaseMs = int(env, 'WEBHOOK_LEASE_MS', 60_000, 1000, 3_600_000);
  const timeoutMs = int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 600_000);
  if (timeoutMs > leaseMs / 2) {
    throw new ConfigError(
      `WEBHOOK_TIMEOUT_MS must be at most half of WEBHOOK_LEASE_MS (${timeoutMs} > ${leaseMs} / 2): an attempt must end before its claim lapses, or another node sends it again`,
    );
  }
  return {
    allowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 15, 1, 1000),
    retryBaseMs,
    retryMaxMs,
    timeoutMs,
    pollMs: int(env, 'WEBHOOK_POLL_MS', 1000, 10, 600_000),
    leaseMs,
    concurrency: int(env, 'WEBHOOK_CONCURRENCY', 4, 1, 64),
  };
}

/**
 * TRUST_PROXY: `false` (default), a number of proxy hops in front of roster (`1` for one load
 * balancer), or a comma-separated list of proxy addresses / CIDR ranges (`10.0.0.0/8,127.0.0.1`).
 * `true` trusts every hop and lets any client set its own IP; it is accepted but not advised.
 */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 100) throw new ConfigError(`TRUST_PROXY hop count must be at most 100 (got ${hops})`);
    return hops;
  }
  const lower = raw.toLowerCase();
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (['false', 'no', 'off'].includes(lower)) return false;
  const list = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const address = /^(?:[0-9.]+|[0-9a-f:.]+)(?:\/\d{1,3})?$/i;
  const bad = list.find((x) => !address.test(x) || !x.replace(/\/.*/, '').match(/[.:]/));
  if (list.length === 0 || bad !== undefined) {
    throw new ConfigError(`TRUST_PROXY must be false, a hop count, or proxy addresses/CIDR ranges separated by commas (got "${raw}")`);
  }
  return list;
}

export interface ConfigOverrides {
  port?: number | undefined;
  host?: string | undefined;
}

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const port = overrides.port ?? int(env, 'PORT', 3000, 0, 65535);
  const host = overrides.host ?? (env.HOST?.trim() || '127.0.0.1');
  const databaseUrl = env.DATABASE_URL?.trim() || 'sqlite:./data/roster.db';
  try {
    parseDatabaseUrl(databaseUrl);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`);
  const publicUrl = (env.PUBLIC_URL?.trim() || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an http(s) URL (got "${env.PUBLIC_URL}")`);
  }
  const frontendUrl = frontendUrlOf(env, publicUrl);
  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS (${headersTimeoutMs} > ${requestTimeoutMs})`);
  }
  return {
    port,
    host,
    databaseUrl,
    publicUrl,
    frontendUrl,
    logLevel,
    logFormat: logFormat(env),
    credentialCacheTtlMs: int(env, 'CREDENTIAL_CACHE_TTL_MS', 2000, 0, 60_000),
    avatarMaxBytes: int(env, 'AVATAR_MAX_BYTES', 5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    dbPoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    passwordHashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY', Math.max(1, availableParallelism()), 1, 256),
    dbStatementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 0, 600_000),
    dbConnectTimeoutMs: int(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    redisUrl: redisUrl(env),
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'roster:',
    trustProxy: trustProxy(env),
    seedDemo: bool(env, 'SEED_DEMO', true),
    metrics: bool(env, 'METRICS', true),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 500, 600_000),
    http: {
      requestTimeoutMs,
      headersTimeoutMs,
      maxConnectionsPerIp: int(env, 'HTTP_MAX_CONNECTIONS_PER_IP', 100, 0, 1_000_000),
    },
    credentialLimits: {
      enabled: bool(env, 'CREDENTIAL_LIMITS', true),
      maxFailuresPerIp: int(env, 'CREDENTIAL_MAX_FAILURES_PER_IP', 20, 1, 100_000),
      maxFailuresPerCredential: int(env, 'CREDENTIAL_MAX_FAILURES_PER_ID', 100, 1, 1_000_000),
      windowSeconds: int(env, 'CREDENTIAL_WINDOW_SECONDS', 300, 1, 86_400),
    },
    ...secretKeys(env),
    auth: {
      sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 3600, 60, 30 * 86_400),
      loginMaxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 10_000),
      loginMaxFailuresPerIp: int(env, 'LOGIN_MAX_FAILURES_PER_IP', 20, 1, 100_000),
      loginWindowSeconds: int(env, 'LOGIN_WINDOW_SECONDS', 60, 1, 86_400),
    },
    mail: mailConfig(env, publicUrl),
    auditRetentionDays: int(env, 'AUDIT_RETENTION_DAYS', 365, 0, 36_500),
    webhooks: webhookConfig(env),
    console: {
      enabled: bool(env, 'ADMIN_CONSOLE', true),
      sessionTtlSeconds: int(env, 'ADMIN_SESSION_TTL_SECONDS', 8 * 3600, 60, 7 * 86_400),
    },
  };
}
