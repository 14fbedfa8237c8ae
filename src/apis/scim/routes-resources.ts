/**
 * /Users and /Groups: create, get, replace (PUT), PATCH, delete, list (GET with filter, sortBy,
 * pagination) and POST /.search, with attributes/excludedAttributes and ETags (If-Match, If-None-Match).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../identity/credentials.js';
import type { ScimGroupService } from './groups.js';
import { attributeRequested, listResponse, parseListQuery, projectResource, type AttributeSelection, type ListQuery } from './list.js';
import { ifMatchAllows } from './resources.js';
import { GROUP_RESOURCE, USER_RESOURCE, isObject, type JsonObject, type ResourceTypeDef } from './schema.js';
import type { SearchResult } from './search.js';
import type { ScimUserService } from './users.js';
import { principalOf } from '../shared/principal.js';

export interface ResourceDeps {
  users: ScimUserService;
  groups: ScimGroupService;
}

/** What /Users and /Groups have in common: the services behind them, as the routes call them. */
export interface Endpoint {
  readonly rt: ResourceTypeDef;
  search(principal: Principal, query: ListQuery, withMembers: boolean): Promise<SearchResult>;
  get(principal: Principal, id: string, withMembers: boolean): Promise<JsonObject>;
  create(principal: Principal, body: unknown): Promise<JsonObject>;
  replace(principal: Principal, id: string, body: unknown, ifMatch?: string): Promise<JsonObject>;
  patch(principal: Principal, id: string, body: unknown, ifMatch?: string): Promise<JsonObject>;
  delete(principal: Principal, id: string, ifMatch?: string): Promise<void>;
}

export function endpoints({ users, groups }: ResourceDeps): { Users: Endpoint; Groups: Endpoint } {
  return {
    Users: {
      rt: USER_RESOURCE,
      search: (p, q) => users.search(p, q),
      get: (p, id) => users.get(p, id),
      create: (p, b) => users.create(p, b),
      replace: (p, id, b, m) => users.replace(p, id, b, m),
      patch: (p, id, b, m) => users.patch(p, id, b, m),
      delete: (p, id, m) => users.delete(p, id, m),
    },
    Groups: {
      rt: GROUP_RESOURCE,
      search: (p, q, w) => groups.search(p, q, w),
      get: (p, id, w) => groups.get(p, id, w),
      create: (p, b) => groups.create(p, b),
      replace: (p, id, b, m) => groups.replace(p, id, b, m),
      patch: (p, id, b, m) => groups.patch(p, id, b, m),
      delete: (p, id, m) => groups.delete(p, id, m),
    },
  };
}

/** A header's one value (a repeated header is joined, as RFC 9110 lists are). */
function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** attributes / excludedAttributes of a query string, for answers that are one resource. */
export function selectionOf(query: unknown, rt: ResourceTypeDef): AttributeSelection {
  const q = isObject(query) ? query : {};
  const { attributes, excludedAttributes } = parseListQuery({ attributes: q.attributes, excludedAttributes: q.excludedAttributes }, rt);
  return { ...(attributes && { attributes }), ...(excludedAttributes && { excludedAttributes }) };
}

const versionOf = (r: JsonObject): string | undefined => (isObject(r.meta) && typeof r.meta.version === 'string' ? r.meta.version : undefined);

/** One resource, as asked for, with its ETag (and Location, when it was just created). */
function sendResource(reply: FastifyReply, resource: JsonObject, rt: ResourceTypeDef, sel: AttributeSelection, status = 200): FastifyReply {
  const version = versionOf(resource);
  if (version !== undefined) void reply.header('etag', version);
  if (status === 201 && isObject(resource.meta) && typeof resource.meta.location === 'string') void reply.header('location', resource.meta.location);
  return reply.code(status).send(projectResource(resource, rt, sel));
}

/** A list or search answer: the page projected as asked. */
export function listAnswer(result: SearchResult, query: ListQuery, rt: ResourceTypeDef) {
  return listResponse(
    result.resources.map((r) => projectResource(r, rt, query)),
    { totalResults: result.totalResults, startIndex: query.startIndex },
  );
}

export const resourceRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  const tags = ['SCIM'];
  const security = [{ scimBearer: [] }];
  for (const [name, ep] of Object.entries(endpoints(deps))) {
    const rt = ep.rt;
    const withMembers = (sel: AttributeSelection) => rt.id === 'Group' && attributeRequested(rt, sel, 'members');
    const what = name === 'Users' ? 'User' : 'Group';

    app.get(`/${name}`, { schema: { tags, security, summary: `List or filter ${name}` } }, async (req) => {
      const query = parseListQuery(req.query, rt);
      return listAnswer(await ep.search(principalOf(req), query, withMembers(query)), query, rt);
    });

    app.post(`/${name}/.search`, { schema: { tags, security, summary: `Search ${name} (a SearchRequest body)` } }, async (req) => {
      const query = parseListQuery(req.body, rt);
      return listAnswer(await ep.search(principalOf(req), query, withMembers(query)), query, rt);
    });

    app.post(`/${name}`, { schema: { tags, security, summary: `Create a ${what}` } }, async (req, reply) => {
      const sel = selectionOf(req.query, rt);
      return sendResource(reply, await ep.create(principalOf(req), req.body), rt, sel, 201);
    });

    app.get<{ Params: { id: string } }>(`/${name}/:id`, { schema: { tags, security, summary: `Get a ${what}` } }, async (req, reply) => {
      const sel = selectionOf(req.query, rt);
      const resource = await ep.get(principalOf(req), req.params.id, withMembers(sel));
      const version = versionOf(resource);
      const ifNoneMatch = header(req, 'if-none-match');
      if (version !== undefined && ifNoneMatch !== undefined && ifMatchAllows(ifNoneMatch, version)) {
        return reply.code(304).header('etag', version).send();
      }
      return sendResource(reply, resource, rt, sel);
    });

    app.put<{ Params: { id: string } }>(`/${name}/:id`, { schema: { tags, security, summary: `Replace a ${what}` } }, async (req, reply) => {
      const sel = selectionOf(req.query, rt);
      return sendResource(reply, await ep.replace(principalOf(req), req.params.id, req.body, header(req, 'if-match')), rt, sel);
    });

    app.patch<{ Params: { id: string } }>(`/${name}/:id`, { schema: { tags, security, summary: `Change a ${what} (PatchOp)` } }, async (req, reply) => {
      const sel = selectionOf(req.query, rt);
      return sendResource(reply, await ep.patch(principalOf(req), req.params.id, req.body, header(req, 'if-match')), rt, sel);
    });

    app.delete<{ Params: { id: string } }>(`/${name}/:id`, { schema: { tags, security, summary: `Delete a ${what}` } }, async (req, reply) => {
      await ep.delete(principalOf(req), req.params.id, header(req, 'if-match'));
      return reply.code(204).send();
    });
  }
};
