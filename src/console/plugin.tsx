/**
 * The admin console at /admin (docs/console.md): server-rendered pages for operators, with forms
 * that work without JavaScript. This plugin holds what every page shares: cookies, form bodies,
 * CSRF, the console's own Content-Security-Policy, the operator's session, and errors as pages.
 * The pages themselves are in pages/*.tsx; each route calls one service and renders.
 */
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { VNode } from 'preact';
import { originOf } from '../apis/shared/auth.js';
import { STATUS_OF_KIND } from '../apis/shared/errors.js';
import { DomainError } from '../identity/errors.js';
import type { SignedIn } from '../identity/operators.js';
import type { Services } from '../services.js';
import { loadAssets } from './assets.js';
import { fieldsOf } from './form.js';
import { Layout, Notice, type PageContext } from './ui.js';
import { contextOf, cookieOptions, CONSOLE_PATH, CSRF_COOKIE, sendPage, SESSION_COOKIE } from './http.js';
import type { HealthCheck } from './pages/home.js';
import { homeRoutes } from './pages/home.js';
import { companyRoutes } from './pages/companies.js';
import { userRoutes } from './pages/users.js';
import { auditRoutes } from './pages/audit.js';
import { miscRoutes } from './pages/misc.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console's signed-in operator (set by the console's session hook). */
    operator: SignedIn | null;
  }
  interface FastifyContextConfig {
    /** A console route anyone may reach (the login page, static files). */
    consolePublic?: boolean;
  }
}

/** Scripts, styles, images and form posts from roster itself only; never framed. */
const CONSOLE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    // Pico draws its checkboxes and select arrows as data: SVGs.
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
};

export interface ConsoleOptions {
  services: Services;
  /** Health of the database and the other dependencies, as /readyz checks them. */
  checks: HealthCheck[];
}

function loginPage(ctx: PageContext, message?: string, email = ''): VNode {
  return (
    <Layout ctx={ctx} title="Log in">
      {message && <Notice kind="error">{message}</Notice>}
      <form method="post" action="/admin/login">
        <input type="hidden" name="_csrf" value={ctx.csrf} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={email} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Log in</button>
      </form>
    </Layout>
  );
}

export async function consoleRoutes(app: FastifyInstance, { services, checks }: ConsoleOptions): Promise<void> {
  const assets = loadAssets();
  await app.register(cookie);
  // Form posts only (this plugin's own parsers; the APIs keep theirs): every form of the console is
  // application/x-www-form-urlencoded, and nothing of it sends JSON. Any other body is a 415 page.
  app.removeAllContentTypeParsers();
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: CONSOLE_PATH, httpOnly: true, sameSite: 'strict' },
    // Only the form field: a token in a header would let a script of another page try, and the console has no such script.
    // A token sent twice (an array) is no token: refused as a wrong one (403).
    getToken: (req) => {
      const token = (req.body as { _csrf?: unknown } | undefined)?._csrf;
      return typeof token === 'string' ? token : undefined;
    },
  });
  app.decorateRequest('operator', null);

  // The console's own headers over the API's: its CSP allows its own scripts and styles.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), helmet: { contentSecurityPolicy: CONSOLE_CSP } };
    // Pages, not API: kept out of the OpenAPI document.
    route.schema = { ...(route.schema ?? {}), hide: true };
  });

  app.addHook('onRequest', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    req.operator = token ? ((await services.operators.authenticate(token, originOf(req))) ?? null) : null;
    if (req.operator || req.routeOptions.config.consolePublic) return;
    if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect('/admin/login', 303);
    return sendPage(reply, loginPage(contextOf(req, reply), 'Your session has ended; log in again.'), 401);
  });
  // Every write is a form post with the page's CSRF token.
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method !== 'POST') return done();
    app.csrfProtection(req, reply, done);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    let status = 500;
    let message = 'Something went wrong; the error was logged.';
    if (err instanceof DomainError) {
      status = STATUS_OF_KIND[err.kind];
      message = err.message;
      if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter));
    } else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      message = err.code?.startsWith('FST_CSRF')
        ? 'This form has expired or did not come from the console; reload the page and try again.'
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'The console takes form posts only (application/x-www-form-urlencoded).'
          : err.message;
    } else {
      req.log.error({ err }, 'console error');
    }
    if (status === 401 || !req.operator) return sendPage(reply, loginPage(contextOf(req, reply), message), status);
    return sendPage(
      reply,
      <Layout ctx={contextOf(req, reply)} title="Error">
        <Notice kind="error">{message}</Notice>
        <p>
          <a href="/admin">Back to the console</a>
        </p>
      </Layout>,
      status,
    );
  });

  app.get<{ Params: { name: string } }>('/assets/:name', { config: { consolePublic: true } }, async (req, reply) => {
    const asset = assets.get(req.params.name);
    if (!asset) return reply.code(404).type('text/plain').send('Not Found');
    return reply.header('cache-control', 'public, max-age=3600').type(asset.type).send(asset.body);
  });

  app.get('/login', { config: { consolePublic: true } }, async (req, reply) => {
    if (req.operator) return reply.redirect('/admin', 303);
    return sendPage(reply, loginPage(contextOf(req, reply)));
  });

  app.post('/login', { config: { consolePublic: true } }, async (req, reply) => {
    const form = fieldsOf(req.body, ['email', 'password']);
    const email = (form.email ?? '').slice(0, 320);
    const password = (form.password ?? '').slice(0, 1024);
    try {
      const session = await services.operators.login({ email, password, ip: req.ip });
      const opts = cookieOptions(req);
      // A new login gets a new CSRF secret: tokens of the page before it are void.
      void reply.clearCookie(CSRF_COOKIE, opts);
      void reply.setCookie(SESSION_COOKIE, session.token, { ...opts, maxAge: services.operators.sessionTtlSeconds });
      return reply.redirect('/admin', 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter));
      return sendPage(reply, loginPage(contextOf(req, reply), err.message, email), STATUS_OF_KIND[err.kind]);
    }
  });

  app.post('/logout', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await services.operators.logout(token);
    const opts = cookieOptions(req);
    void reply.clearCookie(SESSION_COOKIE, opts);
    void reply.clearCookie(CSRF_COOKIE, opts);
    return reply.redirect('/admin/login', 303);
  });

  await app.register(homeRoutes, { services, checks });
  await app.register(companyRoutes, { services });
  await app.register(userRoutes, { services });
  await app.register(auditRoutes, { services });
  await app.register(miscRoutes, { services });
}
