/**
 * GET /docs: an interactive API reference (Swagger UI, from the `@fastify/swagger-ui` package: its
 * scripts and styles are served by roster, no CDN). A dropdown picks the document: every API, or
 * one (/openapi/<api>.json). Scalar's reference was the other candidate; its current packages need
 * Node 22, and roster runs on Node 20.19.
 *
 * Its pages get their own Content-Security-Policy (Swagger UI's scripts and styles from this
 * origin, inline style attributes, data: images), set by the plugin on its own routes only; every
 * other answer keeps helmet's strict API policy (default-src 'none').
 */
import swaggerUi, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { API_DOCUMENTS } from './openapi-docs.js';

export const DOCS_PREFIX = '/docs';

/** The reference's policy: nothing from another origin, no inline script. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const LABELS: Record<string, string> = {
  jelou: 'Jelou: widget users',
  plazbot: 'Plazbot / Wabotify: users',
  chatwoot: 'Chatwoot: Platform API',
  scim: 'SCIM 2.0',
};

/**
 * `documentHeaders`: the security headers of a page a browser renders (its own CSP is DOCS_CSP,
 * which the plugin sets).
 */
export async function registerApiReference(app: FastifyInstance, documentHeaders: Readonly<Record<string, string>>): Promise<void> {
  const { 'content-security-policy': _ownCsp, ...headers } = documentHeaders;
  // The package's own files (Swagger UI's scripts and styles, its logo), named here: bundled
  // (scripts/bundle.mjs), its code has no folder of its own to find them beside.
  const staticDir = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')), 'static');
  const options: FastifySwaggerUiOptions = {
    baseDir: staticDir,
    logo: { type: 'image/svg+xml', content: readFileSync(join(staticDir, 'logo.svg')) },
    uiHooks: {
      onRequest: (req, reply, done) => {
        // With a baseDir, swagger-ui also serves every file of that folder at /docs/* (meant for
        // documents' external $refs; roster's have none): those URLs stay roster's 404, as they
        // were. The UI's own files are at /docs/static/*.
        if (req.routeOptions.url === `${DOCS_PREFIX}/*`) return void reply.callNotFound();
        void reply.headers(headers);
        done();
      },
    },
    routePrefix: DOCS_PREFIX,
    staticCSP: DOCS_CSP,
    // No call to validator.swagger.io: the documents are linted in CI (npm run lint:openapi).
    validatorUrl: false,
    theme: { title: 'roster API reference' },
    uiConfig: {
      urls: [{ url: '/openapi.json', name: 'All APIs' }, ...API_DOCUMENTS.map((a) => ({ url: `/openapi/${a.name}.json`, name: LABELS[a.name] ?? a.name }))],
      deepLinking: true,
      docExpansion: 'list',
    },
  };
  await app.register(swaggerUi, options);
}
