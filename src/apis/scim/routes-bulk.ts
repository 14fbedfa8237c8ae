/** POST /Bulk (RFC 7644 §3.7) and POST /.search at the root (§3.4.3: Users, then Groups). */
import type { FastifyPluginAsync } from 'fastify';
import { parseBulkRequest, runBulk, type BulkTarget } from './bulk.js';
import { SCIM_LIMITS } from './limits.js';
import { attributeRequested, listResponse, parseListQuery, projectResource, type ListQuery } from './list.js';
import { endpoints, type ResourceDeps } from './routes-resources.js';
import { searchAcrossTypes } from './search.js';
import { principalOf } from '../shared/principal.js';

export const bulkRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  const tags = ['SCIM'];
  const security = [{ scimBearer: [] }];
  const eps = endpoints(deps);

  app.post(
    '/Bulk',
    { bodyLimit: SCIM_LIMITS.maxBulkPayloadSize, schema: { tags, security, summary: 'Run several operations (bulkId references, failOnErrors)' } },
    async (req) => {
      const request = parseBulkRequest(req.body);
      const principal = principalOf(req);
      const target: BulkTarget = {
        create: (e, data) => eps[e].create(principal, data),
        replace: (e, id, data, ifMatch) => eps[e].replace(principal, id, data, ifMatch),
        patch: (e, id, data, ifMatch) => eps[e].patch(principal, id, data, ifMatch),
        delete: (e, id, ifMatch) => eps[e].delete(principal, id, ifMatch),
      };
      return runBulk(request, target);
    },
  );

  app.post('/.search', { schema: { tags, security, summary: 'Search Users, then Groups (a SearchRequest body)' } }, async (req) => {
    const principal = principalOf(req);
    const types = [eps.Users, eps.Groups];
    const parts = types.map((ep) => ({
      query: parseListQuery(req.body, ep.rt),
      run: (q: ListQuery) => ep.search(principal, q, ep.rt.id === 'Group' && attributeRequested(ep.rt, q, 'members')),
    }));
    const { startIndex, count } = parts[0]!.query;
    const { totalResults, pages } = await searchAcrossTypes(parts, startIndex, count);
    const resources = pages.flatMap((page, i) => page.resources.map((r) => projectResource(r, types[i]!.rt, parts[i]!.query)));
    return listResponse(resources, { totalResults, startIndex });
  });
};
