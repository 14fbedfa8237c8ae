/**
 * What every dialect plugin shares: errors, and unknown routes under the dialect's prefix, rendered
 * in the dialect's own body format.
 */
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../core/credentials.js';
import { classifyError, type Classified } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a dialect's auth hook before the handler runs. */
    principal: Principal | null;
  }
}

export function useErrorFormat(app: FastifyInstance, render: (c: Classified) => unknown): void {
  app.setErrorHandler((err, req, reply) => {
    const c = classifyError(err);
    if (c.kind === 'internal') req.log.error({ err }, 'request failed');
    else if (c.status === 503) req.log.warn({ err: { message: (err as Error).message } }, 'database unavailable');
    if (c.retryAfter !== undefined) void reply.header('retry-after', String(c.retryAfter));
    return reply.code(c.status).type('application/json; charset=utf-8').send(render(c));
  });
  app.setNotFoundHandler((req, reply) => {
    const c: Classified = { status: 404, kind: 'route_not_found', code: 'ROUTE_NOT_FOUND', message: `Route ${req.method} ${req.url.split('?')[0]} not found`, fields: [] };
    return reply.code(404).type('application/json; charset=utf-8').send(render(c));
  });
}
