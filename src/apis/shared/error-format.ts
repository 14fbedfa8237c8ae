/**
 * What every API plugin shares: errors, and unknown routes under the API's prefix, rendered
 * in the API's own body format.
 */
import type { FastifyInstance } from 'fastify';
import { isUnavailable } from '../../store/errors.js';
import { classifyError, type Classified } from './errors.js';

/**
 * Renders errors and unknown routes in the API's body format. `status` lets an API answer
 * with its vendor's codes where they differ from roster's (Chatwoot: validation is 422, not 400).
 */
export function useErrorFormat(app: FastifyInstance, render: (c: Classified) => unknown, status: (c: Classified) => number = (c) => c.status): void {
  app.setErrorHandler((err, req, reply) => {
    const classified = classifyError(err);
    const c = { ...classified, status: status(classified) };
    if (c.kind === 'internal') req.log.error({ err }, 'request failed');
    // Said to be the database's only when the store says so (a client's socket error is the client's).
    else if (c.status === 503) req.log.warn({ err: { message: (err as Error).message } }, isUnavailable(err) ? 'database unavailable' : 'service unavailable');
    if (c.retryAfter !== undefined) void reply.header('retry-after', String(c.retryAfter));
    return reply.code(c.status).type('application/json; charset=utf-8').send(render(c));
  });
  app.setNotFoundHandler((req, reply) => {
    const found: Classified = {
      status: 404,
      kind: 'route_not_found',
      code: 'ROUTE_NOT_FOUND',
      message: `Route ${req.method} ${req.url.split('?')[0]} not found`,
      fields: [],
    };
    const c = { ...found, status: status(found) };
    return reply.code(c.status).type('application/json; charset=utf-8').send(render(c));
  });
}
