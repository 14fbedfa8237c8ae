/** The credential a request was authenticated with, as the API's auth hook left it. */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../identity/credentials.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by an API's auth hook before the handler runs; read it with `principalOf`. */
    principal: Principal | null;
  }
}

/**
 * The principal of an authenticated request. Every route of an API runs behind that API's auth
 * hook, which answers 401 or sets the principal; a route reached without it is a wiring bug,
 * reported as one rather than read as `undefined` further down.
 */
export function principalOf(req: FastifyRequest): Principal {
  const principal = req.principal;
  if (principal === null) throw new Error(`${req.method} ${req.routeOptions.url ?? req.url} ran without its API's auth hook`);
  return principal;
}
