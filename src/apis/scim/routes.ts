/**
 * SCIM 2.0 (RFC 7643, RFC 7644) under /scim/v2: discovery, /Users, /Groups, /Bulk and /.search,
 * called with a SCIM token (`roster scim-token create`) as `Authorization: Bearer <token>`. A token
 * sees only its company's users and groups.
 *
 * Every answer under the prefix is `application/scim+json` (errors, unknown routes and refused
 * credentials included), every error a SCIM error body; request bodies are read as
 * `application/scim+json` or `application/json`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../identity/credentials.js';
import { DomainError, unauthorized } from '../../identity/errors.js';
import { originOf, parseBearer, tokenIdOf } from '../shared/auth.js';
import type { CredentialGuard } from '../shared/credential-guard.js';
import { useJsonBodies } from '../shared/json-body.js';
import { classifyError } from '../shared/errors.js';
import { resourceType, resourceTypesList, schema as schemaDocument, schemasList, serviceProviderConfig } from './discovery.js';
import { ScimError, scimErrorBody, type ScimType } from './errors.js';
import type { ScimGroupService } from './groups.js';
import { SCIM_LIMITS } from './limits.js';
import { bulkRoutes } from './routes-bulk.js';
import { resourceRoutes } from './routes-resources.js';
import type { ScimUserService } from './users.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export interface ScimDeps {
  auth: Authenticator;
  users: ScimUserService;
  groups: ScimGroupService;
  /** `<public URL>/scim/v2`: what meta.location and the discovery documents point at. */
  baseUrl: string;
  /** Counts failed SCIM token checks per address and per token id (429 past the limits). */
  guard: CredentialGuard;
}

/** What `/ServiceProviderConfig` says roster supports. */
export const SCIM_FEATURES = {
  bulk: { supported: true, maxOperations: SCIM_LIMITS.maxBulkOperations, maxPayloadSize: SCIM_LIMITS.maxBulkPayloadSize },
  etag: true,
  patch: true,
  sort: true,
  changePassword: true,
} as const;

const INVALID_SYNTAX_CODES = new Set(['MALFORMED_JSON', 'VALIDATION_FAILED', 'BAD_REQUEST', 'INVALID_CONTENT_LENGTH', 'JSON_TOO_DEEP']);

/** Anything a SCIM request can throw, as the SCIM error a client gets. */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  const c = classifyError(err);
  if (c.status === 401) return new ScimError(401, 'Missing or invalid SCIM token: send Authorization: Bearer <a token from roster scim-token create>');
  let scimType: ScimType | undefined;
  if (c.status === 400) scimType = INVALID_SYNTAX_CODES.has(c.code) ? 'invalidSyntax' : 'invalidValue';
  if (c.status === 409) scimType = 'uniqueness';
  const detail =
    c.status === 415
      ? c.code === 'UNSUPPORTED_MEDIA_TYPE'
        ? 'The body must be application/scim+json or application/json'
        : c.message
      : c.status === 413
        ? `The body is larger than ${SCIM_LIMITS.maxBulkPayloadSize} bytes`
        : c.message;
  return new ScimError(c.status, detail, scimType);
}

function send(reply: FastifyReply, err: ScimError): FastifyReply {
  if (err.status === 401) void reply.header('www-authenticate', 'Bearer realm="roster-scim"');
  return reply.code(err.status).type(SCIM_CONTENT_TYPE).send(scimErrorBody(err));
}

function useScimErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const c = err instanceof ScimError || err instanceof DomainError ? undefined : classifyError(err);
    if (c?.kind === 'internal') req.log.error({ err }, 'request failed');
    else if (c?.status === 503) req.log.warn({ err: { message: (err as Error).message } }, 'database unavailable');
    // A rate limit (a DomainError) says when to come back.
    const retryAfter = err instanceof DomainError ? classifyError(err).retryAfter : c?.retryAfter;
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    return send(reply, toScimError(err));
  });
  app.setNotFoundHandler((req, reply) => send(reply, new ScimError(404, `Route ${req.method} ${req.url.split('?')[0]} not found`)));
}

export const scimRoutes: FastifyPluginAsync<ScimDeps> = async (app, { auth, users, groups, baseUrl, guard }) => {
  useScimErrors(app);

  // Bodies: application/scim+json (RFC 7644 §3.1) and application/json. An empty body is no body (a
  // DELETE sent with a content-type).
  // Roster's one JSON parser, with the guards of every API (see json-body.ts): UTF-8 only (another
  // charset or a Content-Encoding is a 415), well-formed text and finite numbers (400 invalidValue),
  // at most MAX_BODY_DEPTH levels (400 invalidSyntax; no SCIM body needs more than 6, a /Bulk one
  // included), at most maxBulkPayloadSize bytes (413). A long body too deep is refused from its
  // text, before it is parsed.
  useJsonBodies(app, {
    emptyIsNone: true,
    contentTypes: ['application/json', 'application/scim+json'],
    bodyLimit: SCIM_LIMITS.maxBulkPayloadSize,
  });

  // Every answer with a body is SCIM JSON, and private.
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('cache-control', 'no-store');
    if (payload !== undefined && payload !== null && payload !== '') void reply.header('content-type', SCIM_CONTENT_TYPE);
    return payload;
  });

  await app.register(async (api) => {
    api.addHook('onRequest', async (req: FastifyRequest) => {
      const token = parseBearer(req.headers.authorization);
      if (!token) throw unauthorized();
      req.principal = await guard.check(req.ip, { kind: 'scim_token', id: tokenIdOf(token) }, () => auth.token('scim_token', token, originOf(req)));
    });

    const tags = ['SCIM'];
    const security = [{ scimBearer: [] }];
    api.get('/ServiceProviderConfig', { schema: { tags, security, summary: 'What this SCIM service supports' } }, async () =>
      serviceProviderConfig(baseUrl, SCIM_FEATURES),
    );
    api.get('/ResourceTypes', { schema: { tags, security, summary: 'The resource types (User, Group)' } }, async () => resourceTypesList(baseUrl));
    api.get<{ Params: { id: string } }>('/ResourceTypes/:id', { schema: { tags, security, summary: 'One resource type' } }, async (req) =>
      resourceType(baseUrl, req.params.id),
    );
    api.get('/Schemas', { schema: { tags, security, summary: 'The schemas, with every attribute roster keeps' } }, async () => schemasList(baseUrl));
    api.get<{ Params: { id: string } }>('/Schemas/:id', { schema: { tags, security, summary: 'One schema, by its URN' } }, async (req) =>
      schemaDocument(baseUrl, req.params.id),
    );

    await api.register(resourceRoutes, { users, groups });
    await api.register(bulkRoutes, { users, groups });
  });
};
