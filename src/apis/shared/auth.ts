/** Parses the credential headers the APIs accept. Nothing here looks anything up. */
import type { FastifyRequest } from 'fastify';
import { actingAs, type Acting, type RequestOrigin } from '../../events/types.js';

/**
 * Jelou: `Basic base64(clientId:clientSecret)` (the OpenAPI page) or the raw `clientId:clientSecret`
 * (the older page and its curl example).
 */
export function parseWidgetAuthorization(header: string | undefined): { clientId: string; secret: string } | undefined {
  if (!header) return undefined;
  let pair = header.trim();
  const basic = /^basic\s+(\S+)$/i.exec(pair);
  if (basic) {
    const encoded = basic[1]!;
    if (!/^[A-Za-z0-9+/=_-]+$/.test(encoded)) return undefined;
    pair = Buffer.from(encoded, 'base64').toString('utf8');
  }
  const colon = pair.indexOf(':');
  if (colon <= 0 || colon === pair.length - 1) return undefined;
  return { clientId: pair.slice(0, colon), secret: pair.slice(colon + 1) };
}

/** `Bearer <token>`, scheme case-insensitive. */
export function parseBearer(header: string | undefined): string | undefined {
  const m = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

/**
 * Chatwoot: the `api_access_token` header. Header names arrive lower-cased; Rails also reads it as
 * `Api-Access-Token`, which proxies that drop names with underscores (nginx's default) let through.
 */
export function parseApiAccessToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of ['api_access_token', 'api-access-token']) {
    const value = headers[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The public id a token carries (`<prefix>_<16 hex id>.<secret>`), when it has one: what its failures are counted under. */
export function tokenIdOf(token: string): string | undefined {
  return /^[a-z]+_([0-9a-f]{16})\./.exec(token)?.[1];
}

/** Where a request came from, for the events its writes record. */
export function originOf(req: FastifyRequest): RequestOrigin {
  return {
    requestId: req.id,
    clientIp: req.ip,
    // Read by app.ts's onResponse hook, which wakes the webhook sender.
    deliveriesQueued: () => {
      req.webhooksQueued = true;
    },
  };
}

/** A request that carries no credential (a reset by mailed code, a verification link). */
export function anonymousActing(req: FastifyRequest): Acting {
  return actingAs({ kind: 'anonymous', id: null }, originOf(req));
}
