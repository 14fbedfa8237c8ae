/**
 * What the APIs need for browsers: CORS for an API that web pages call (the widget), and security
 * headers on every response.
 */
import cors from '@fastify/cors';
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

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

/** A route's own security headers over the API's (the console's CSP): `config: { helmet: {...} }`. */
declare module 'fastify' {
  interface FastifyContextConfig {
    helmet?: HelmetOptions;
  }
}

type Headers = Readonly<Record<string, string>>;

/**
 * The headers a helmet configuration sets, read once off a stand-in response: with fixed
 * directives (no nonces, no functions) they are the same for every request.
 */
function headersOf(options: HelmetOptions): Headers {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  // helmet 8.1+ throws a configuration error rather than passing it on: `next` has nothing to do.
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return headers;
}

/**
 * helmet's options for pages a browser renders (the console, the API reference): all of helmet's
 * headers, with a CSP that forbids everything (a route's own `helmet` config opens what it needs).
 */
function documentHelmetOptions(publicUrl: string): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: publicUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // Cross-Origin-Resource-Policy stays same-origin: it binds no-cors loads only, and the widget's
    // pages read the widget API through CORS.
  };
}

/**
 * helmet's options for JSON answers: the headers that bind a response a browser may fetch but
 * never renders (OWASP's REST security list: CSP, X-Frame-Options, X-Content-Type-Options,
 * Referrer-Policy, HSTS; and Cross-Origin-Resource-Policy against no-cors reads). helmet's
 * headers for documents are left out: Cross-Origin-Opener-Policy and Origin-Agent-Cluster (a
 * browsing context), X-DNS-Prefetch-Control (links in a page), X-Download-Options (IE 8's
 * downloads), X-Permitted-Cross-Domain-Policies (Flash and PDF plug-ins) and X-XSS-Protection
 * (a removed filter): six headers Node validates and writes on every answer, about 27,000
 * instructions of a widget request (bench/README.md, round thirteen).
 */
function apiHelmetOptions(publicUrl: string): HelmetOptions {
  return {
    ...documentHelmetOptions(publicUrl),
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    dnsPrefetchControl: false,
    ieNoOpen: false,
    permittedCrossDomainPolicies: false,
    xssFilter: false,
  } as HelmetOptions;
}

/** The security headers of pages a browser renders, for routes a plugin registers (the API reference). */
export function documentSecurityHeaders(publicUrl: string): Headers {
  return headersOf(documentHelmetOptions(publicUrl));
}

/** The security headers of every API answer (useSecurityHeaders), for answers written without Fastify's reply. */
export function apiSecurityHeaders(publicUrl: string): Headers {
  return headersOf(apiHelmetOptions(publicUrl));
}

/**
 * Security headers fit for a JSON API, on every response: nothing may be framed, sniffed, loaded
 * into a page or sent a referrer; HSTS when the public URL is https. The verify-email page sets its
 * own Content-Security-Policy (inline styles) over this one; a route whose config names `helmet`
 * options (the console) gets those over these.
 *
 * `helmet` itself, not @fastify/helmet: the plugin builds a new helmet middleware (parsing the CSP
 * directives again) on every request, 3.5 % of the widget path's CPU (issue 15). Here helmet runs
 * once per configuration, against a stand-in response, and each request is given the headers it
 * set (through Fastify's reply, so a route's own header still wins): running its ten middlewares
 * per request was another 5 %.
 */
export function useSecurityHeaders(app: FastifyInstance, publicUrl: string): void {
  const document = documentHelmetOptions(publicUrl);
  const forApi = headersOf(apiHelmetOptions(publicUrl));
  // Keyed by the route's config object, which Fastify keeps for the route's life.
  const byRoute = new WeakMap<object, Headers>();
  app.addHook('onRequest', (req, reply, done) => {
    const config = req.routeOptions.config;
    let headers = forApi;
    if (config.helmet !== undefined) {
      headers = byRoute.get(config) ?? headersOf({ ...document, ...config.helmet } as HelmetOptions);
      byRoute.set(config, headers);
    }
    void reply.headers(headers);
    done();
  });
}
