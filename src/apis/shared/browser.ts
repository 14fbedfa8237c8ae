/**
 * What the APIs need for browsers: CORS for an API that web pages call (the widget), and security
 * headers on every response.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * CORS for the routes of `app` (an API plugin). A preflight is answered for an origin that
 * `allowed` accepts (no credential comes with a preflight, so: an origin some company allows);
 * the route then holds an actual request to its own credential's company. No cookies are used, so
 * credentials mode is off; the Authorization header is allowed.
 */
export async function useCors(app: FastifyInstance, allowed: (origin: string) => Promise<boolean>, methods: string[]): Promise<void> {
  await app.register(cors, {
    origin: (origin, cb) => {
      if (origin === undefined) return cb(null, false);
      allowed(origin).then(
        (ok) => cb(null, ok),
        (err: Error) => cb(err, false),
      );
    },
    methods,
    allowedHeaders: ['Authorization', 'Content-Type'],
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}

/**
 * Security headers fit for a JSON API, on every response: nothing may be framed, sniffed, loaded
 * into a page or sent a referrer; HSTS when the public URL is https. The verify-email page sets its
 * own Content-Security-Policy (inline styles) over this one.
 */
export async function useSecurityHeaders(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: publicUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // Cross-Origin-Resource-Policy stays same-origin: it binds no-cors loads only, and the widget's
    // pages read the widget API through CORS.
  });
}
