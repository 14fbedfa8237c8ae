/**
 * pino settings for the HTTP server. Only method, path, query (with secrets masked), status and
 * timing are logged: never headers, bodies, passwords or tokens.
 */
import type { FastifyRequest } from 'fastify';

const SECRET_PARAMS = /([?&](?:token|sso_auth_token|access_token|api_access_token|password|secret|code|verificationId)=)[^&#]*/gi;

export function redactUrlSecrets(url: string): string {
  return url.includes('?') ? url.replace(SECRET_PARAMS, '$1[REDACTED]') : url;
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
