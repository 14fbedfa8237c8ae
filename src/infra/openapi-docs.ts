/**
 * What the OpenAPI documents say beyond the routes' own schemas, and the per-API documents.
 *
 * - Every status an operation can answer is listed on its own (400, 401, ... 503; never `4XX`),
 *   each with that API's error body. Routes keep declaring `'4xx'`/`'5xx'` for Fastify's
 *   serializer; `expandStatuses` (the swagger `transform`) writes the statuses the rules below
 *   give, so a new route is documented without repeating them. SCIM's routes declare no response
 *   schema (their bodies are projected by `attributes`): their document says the success status
 *   and RFC 7644's error body.
 * - `/openapi/<api>.json` is the whole document cut to one API's paths, tag and security schemes.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

/** One API and how to find its part of the whole document. */
export interface ApiDocument {
  name: 'jelou' | 'plazbot' | 'chatwoot' | 'scim';
  title: string;
  /** The tag its operations carry. */
  tag: string;
  /** Its security scheme(s) in components.securitySchemes. */
  securitySchemes: string[];
}

export const API_DOCUMENTS: readonly ApiDocument[] = [
  { name: 'jelou', title: "roster: Jelou's widget users", tag: 'Widget', securitySchemes: ['basicAuth'] },
  { name: 'plazbot', title: 'roster: Plazbot / Wabotify users', tag: 'Users', securitySchemes: ['bearerAuth', 'sessionToken'] },
  { name: 'chatwoot', title: "roster: Chatwoot's Platform API", tag: 'Platform', securitySchemes: ['platformAppApiKey'] },
  { name: 'scim', title: 'roster: SCIM 2.0', tag: 'SCIM', securitySchemes: ['scimBearer'] },
];

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified (If-None-Match matched)',
  400: 'Bad Request: a body or query string that cannot be parsed (malformed JSON, form or multipart data, a broken %-escape), or values that break the rules',
  401: 'Unauthorized: missing or invalid credentials',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed (If-Match did not match)',
  413: 'Payload Too Large: the body is over 1 MiB',
  414: 'URI Too Long: a path parameter is over 100 characters (answered by the router, in its own format)',
  415: 'Unsupported Media Type: the body must be JSON',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests: see Retry-After',
  503: 'Service Unavailable: the database is down; see Retry-After',
};

/** RFC 7644 §3.12's error body. */
export const ScimErrorBody = Type.Object({
  schemas: Type.Array(Type.Literal('urn:ietf:params:scim:api:messages:2.0:Error'), { minItems: 1, maxItems: 1 }),
  status: Type.String(),
  scimType: Type.Optional(Type.String()),
  detail: Type.String(),
});

/**
 * What the router answers before any API is known (a path parameter over 100 characters: 414;
 * a URL it cannot decode: 400), in Fastify's format, on every operation with a path parameter.
 */
export const RouterErrorBody = Type.Object({ error: Type.String(), code: Type.String(), message: Type.String(), statusCode: Type.Integer() });

/** What the statuses of an operation depend on. */
export interface Operation {
  method: string;
  url: string;
  tag: string | undefined;
  hasBody: boolean;
  hasParams: boolean;
  hasQuery: boolean;
  secured: boolean;
}

const withBody = [400, 413, 415];

/**
 * The error statuses an operation can answer, by API. Written from each API's error paths
 * (identity/errors.ts kinds through each API's presenter, the JSON body parser, the credential
 * guard, the database being down); the end-to-end tests check every answer they get is listed.
 */
export function errorStatuses(op: Operation): number[] {
  const s = new Set<number>([503]);
  const add = (...codes: number[]) => codes.forEach((c) => s.add(c));
  if (op.hasBody) add(...withBody);
  if (op.hasQuery) add(400);
  switch (op.tag) {
    case 'Widget':
      // A bad credential, a web origin the company does not allow, the credential guard.
      add(401, 403, 429);
      break;
    case 'Users': {
      const path = op.url.replace(/^\/api/, '');
      if (op.secured) add(401);
      // The credential guard (429) counts failed API tokens; a session token (/user/me: 256 random
      // bits, looked up by its digest) is not counted, and its user is the session's own (no 403 or 404).
      if (op.secured && path !== '/user/me') add(429);
      if (path === '/user') add(403, 409, 422);
      if (path === '/user/email') add(403, 404);
      if (path === '/user/login') add(401, 403, 429);
      if (path === '/user/sendEmailToResetPassword') add(429);
      if (path === '/user/resetPassword') add(401, 404, 422, 429);
      break;
    }
    case 'Platform':
      // An uploaded avatar: public, no credential; unknown keys are 404.
      if (/\/avatars\/:key$/.test(op.url)) {
        add(404);
        break;
      }
      // Chatwoot: a token not allowed the record is 401 (not 403), validation and duplicates 422.
      // Every call reads its query string as Rails params: a broken %-escape in it is a 400.
      add(400, 401, 429);
      if (op.hasParams) add(404);
      if (op.hasBody || op.method !== 'GET') add(400, 413, 415, 422);
      // A deactivated user gets no login link or token.
      if (/\/users\/:id\/(login|token)$/.test(op.url)) add(422);
      break;
    case 'SCIM':
      add(401, 429);
      if (op.hasParams) add(404);
      if (op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH') add(400, 409, 413, 415);
      if (op.method === 'PUT' || op.method === 'PATCH' || op.method === 'DELETE') add(412);
      if (op.method === 'GET') add(400);
      break;
  }
  return [...s].sort((a, b) => a - b);
}

/** Plazbot's verification link answers a small HTML page. */
const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } }) as unknown as TSchema;
/** Plazbot's error body, as JSON: a link without a token, the database down (the other operations define it). */
const plazbotError = { type: 'object', properties: { success: { const: false }, errorCode: { type: 'string' } }, required: ['success', 'errorCode'] };
const VERIFY_PAGE_RESPONSES: Record<string, TSchema> = {
  200: htmlPage('The address is verified'),
  400: {
    description: 'The link is not valid (a page), or has no token (Plazbot JSON error)',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: plazbotError } },
  } as unknown as TSchema,
  410: htmlPage('The link was used or has expired'),
  503: { description: REASONS[503], content: { 'application/json': { schema: plazbotError } } } as unknown as TSchema,
};

interface RouteSchema {
  tags?: string[];
  body?: unknown;
  params?: unknown;
  querystring?: unknown;
  security?: unknown[];
  response?: Record<string, TSchema>;
  hide?: boolean;
  [k: string]: unknown;
}

const described = (schema: TSchema, status: number): TSchema => ({ ...schema, description: schema.description ?? REASONS[status] ?? String(status) });

/**
 * The swagger `transform`: the route's `4xx`/`5xx` error schema written out for each status the
 * rules give; SCIM's success and error bodies.
 */
export function expandStatuses({ schema, url, route }: { schema: RouteSchema | undefined; url: string; route: { method: string | string[] } }): {
  schema: RouteSchema | undefined;
  url: string;
} {
  if (!schema || schema.hide) return { schema, url };
  const method = (Array.isArray(route.method) ? route.method[0]! : route.method).toUpperCase();
  const tag = schema.tags?.[0];
  const op: Operation = {
    method,
    url,
    tag,
    hasBody: schema.body !== undefined || ((method === 'POST' || method === 'PUT' || method === 'PATCH') && tag === 'SCIM'),
    hasParams: schema.params !== undefined || url.includes(':'),
    hasQuery: schema.querystring !== undefined,
    secured: Array.isArray(schema.security) && schema.security.length > 0,
  };
  // An operation that takes no credential says so (Plazbot's login, reset and verification link).
  const security = op.secured ? schema.security : [];
  if (/\/user\/verify-email$/.test(url) && tag === 'Users') return { schema: { ...schema, security, response: VERIFY_PAGE_RESPONSES }, url };
  const given = schema.response;
  let error: TSchema | undefined = given?.['4xx'] ?? given?.['5xx'];
  const response: Record<string, TSchema> = {};
  if (tag === 'SCIM' && given === undefined) {
    error = ScimErrorBody;
    const ok = method === 'DELETE' ? 204 : method === 'POST' && !/\.search$|\/Bulk$/.test(url) ? 201 : 200;
    response[ok] =
      ok === 204
        ? ({ type: 'null', description: REASONS[204] } as unknown as TSchema)
        : Type.Object({}, { additionalProperties: true, description: 'The SCIM resource or message (application/scim+json)' });
    if (method === 'GET' && op.hasParams && /\/(Users|Groups)\//.test(url)) response[304] = { type: 'null', description: REASONS[304] } as unknown as TSchema;
  }
  if (!error) return { schema: { ...schema, security }, url };
  for (const [status, s] of Object.entries(given ?? {})) if (!/xx$/i.test(status)) response[status] = s;
  for (const status of errorStatuses(op)) response[status] ??= described(error, status);
  if (op.hasParams) response[414] ??= described(RouterErrorBody, 414);
  return { schema: { ...schema, security, response }, url };
}

interface OpenApiDoc {
  info: Record<string, unknown>;
  tags?: Array<{ name: string }>;
  paths: Record<string, Record<string, { tags?: string[] }>>;
  components?: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, unknown> };
  [k: string]: unknown;
}

/** The whole document cut to one API: its paths, its tag, its security schemes. */
export function documentFor(whole: OpenApiDoc, api: ApiDocument): OpenApiDoc {
  const paths: OpenApiDoc['paths'] = {};
  for (const [path, item] of Object.entries(whole.paths)) {
    const ops = Object.entries(item).filter(([, op]) => op.tags?.includes(api.tag));
    if (ops.length > 0) paths[path] = Object.fromEntries(ops);
  }
  const schemes = whole.components?.securitySchemes ?? {};
  return {
    ...whole,
    info: { ...whole.info, title: api.title },
    tags: (whole.tags ?? []).filter((t) => t.name === api.tag),
    paths,
    components: { ...whole.components, securitySchemes: Object.fromEntries(api.securitySchemes.map((n) => [n, schemes[n]])) },
  };
}

/** GET /openapi/<api>.json for each API. */
export function registerApiDocumentRoutes(app: FastifyInstance): void {
  for (const api of API_DOCUMENTS) {
    let doc: OpenApiDoc | undefined;
    app.get(`/openapi/${api.name}.json`, { schema: { hide: true } }, async () => (doc ??= documentFor(app.swagger() as unknown as OpenApiDoc, api)));
  }
}
