/**
 * The effective configuration as an operator may see it (`roster config`): every value roster
 * runs with, secrets masked. A key named like a secret (key, secret, password, token) shows only
 * whether it is set; a URL keeps its scheme, host and path, and loses its password and any
 * secret-looking query parameter (DATABASE_URL, REDIS_URL, SMTP_URL).
 */

export const MASK = '***';

const SECRET_NAME = /(secret|password|passwd|token|apikey|api_key|(^|[A-Z_])key(s)?$)/i;
const SECRET_QUERY = /^(password|passwd|pass|secret|token|key|auth|sslpassword|sslkey)$/i;

/** A URL with its password and secret query values masked; not a URL: unchanged. */
export function maskUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return value.replace(/\/\/([^:/@]*):[^@]*@/, `//$1:${MASK}@`);
  }
  const secretParams = [...u.searchParams.keys()].filter((name) => SECRET_QUERY.test(name));
  // Unchanged (not re-serialized) when it holds no secret.
  if (!u.password && secretParams.length === 0) return value;
  if (u.password) u.password = MASK;
  for (const name of secretParams) u.searchParams.set(name, MASK);
  return u.toString().replace(/%2A%2A%2A/g, MASK);
}

function mask(name: string, value: unknown): unknown {
  // A number or a boolean is a setting about a secret (how many password threads, whether tokens
  // expire), never the secret itself: PASSWORD_HASH_CONCURRENCY showed as *** before.
  const secretName = typeof value !== 'number' && typeof value !== 'boolean' && SECRET_NAME.test(name);
  if (secretName && !/(prefix|ttl|seconds|ms|max|limit|cache|concurrency)/i.test(name)) {
    if (Array.isArray(value)) return value.map(() => MASK);
    return value === undefined || value === null || value === '' ? null : MASK;
  }
  if (Buffer.isBuffer(value)) return MASK;
  if (typeof value === 'string') return maskUrl(value);
  if (Array.isArray(value)) return value.map((v) => mask('', v));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(k, v)]));
  return value === undefined ? null : value;
}

/** The configuration with every secret masked: plain JSON. */
export function configView(config: object): Record<string, unknown> {
  return mask('', config) as Record<string, unknown>;
}

/** One `path = value` line per setting, for people. */
export function configLines(view: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(view).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? configLines(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k} = ${JSON.stringify(v)}`],
  );
}
