/**
 * pino settings for the HTTP server. Only method, path, query (with secrets masked), status and
 * timing are logged: never headers, bodies, passwords or tokens.
 */
import type { FastifyRequest } from 'fastify';

/**
 * Query parameters whose values are secrets, by name as the server reads it (lower-cased): those
 * roster reads, and credentials a client may misplace into a URL (an OAuth client secret or
 * refresh token, a Chatwoot pubsub token, an API key).
 */
const SECRET_PARAMS: ReadonlySet<string> = new Set([
  'token',
  'sso_auth_token',
  'access_token',
  'api_access_token',
  'refresh_token',
  'id_token',
  'password',
  'newpassword',
  'secret',
  'clientsecret',
  'client_secret',
  'pubsub_token',
  'api_key',
  'apikey',
  'code',
  'verificationid',
]);

/**
 * Query parameters whose values may carry a secret written into them: a SCIM `filter` on the
 * write-only `password` attribute (refused with a 400, but the request line is logged first).
 */
const SECRET_BEARING_PARAMS: ReadonlySet<string> = new Set(['filter']);

/** A value as the query parser reads it ('+' a space, percent escapes decoded); the raw text when it cannot be decoded. */
function queryValue(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** True when the value of parameter `name` (as queryParamName reads it) must not be logged. */
function isSecretParam(name: string, rawValue: string): boolean {
  if (SECRET_PARAMS.has(name)) return true;
  return SECRET_BEARING_PARAMS.has(name) && /password/i.test(queryValue(rawValue));
}

/**
 * A parameter's name as the query parser reads it: '+' is a space, percent escapes are decoded
 * (repeatedly, so a name escaped twice is caught too), case is ignored and a bracket suffix
 * (`token[]`, `token[0]`) names the same parameter.
 */
export function queryParamName(raw: string): string {
  let name = raw.replace(/\+/g, ' ');
  for (let i = 0; i < 3 && name.includes('%'); i++) {
    let next: string;
    try {
      next = decodeURIComponent(name);
    } catch {
      break;
    }
    if (next === name) break;
    name = next;
  }
  return name.trim().toLowerCase().replace(/\[.*$/s, '');
}

/**
 * The URL with the value of every secret query parameter replaced by [REDACTED]. Names are read as
 * the query parser reads them (see queryParamName), not matched on the raw text: `?%74oken=` and
 * `?token[]=` are the token too. A SCIM filter naming the password attribute is redacted whole.
 */
export function redactUrlSecrets(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (isSecretParam(queryParamName(pair.slice(0, eq)), pair.slice(eq + 1))) {
      pairs[i] = `${pair.slice(0, eq)}=[REDACTED]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${pairs.join('&')}` : url;
}

export const serializers = {
  req(req: FastifyRequest) {
    return { method: req.method, url: redactUrlSecrets(req.url), remoteAddress: req.ip };
  },
  res(res: { statusCode: number }) {
    return { statusCode: res.statusCode };
  },
};

/**
 * Belt and braces: should any of these ever reach a log line, pino prints [Redacted]. Explicit
 * paths only: wildcard paths are checked on every line and cost the hot path ~5% of its time.
 */
export const redact = [
  'req.headers.authorization',
  'req.headers.api_access_token',
  'req.headers["api-access-token"]',
  'req.headers.cookie',
  'body.password',
  'body.newPassword',
  'password',
  'newPassword',
  'token',
  'clientSecret',
  'secret',
];
