/** POST /Bulk (RFC 7644 §3.7) and POST /.search at the root (§3.4.3: Users, then Groups). */
import type { FastifyPluginAsync } from 'fastify';
import { parseBulkRequest, runBulk, type BulkTarget } from './bulk.js';
import { invalidValue, ScimError } from './errors.js';
import { SCIM_LIMITS } from './limits.js';
import { attributeRequested, listResponse, parseListQuery, projectResource } from './list.js';
import { endpoints, type ResourceDeps } from './routes-resources.js';
import type { JsonObject } from './schema.js';

export const bulkRoutes: FastifyPluginAsync<ResourceDeps> = async (app, deps) => {
  const tags = ['SCIM'];
  const security = [{ scimBearer: [] }];
  const eps = endpoints(deps);

  app.post(
    '/Bulk',
    { bodyLimit: SCIM_LIMITS.maxBulkPayloadSize, schema: { tags, security, summary: 'Run several operations (bulkId references, failOnErrors)' } },
    async (req) => {
      const request = parseBulkRequest(req.body);
      const principal = req.principal!;
      const target: BulkTarget = {
        create: (e, data) => eps[e].create(principal, data),
        replace: (e, id, data, ifMatch) => eps[e].replace(principal, id, data, ifMatch),
        patch: (e, id, data, ifMatch) => eps[e].patch(principal, id, data, ifMatch),
        delete: (e, id, ifMatch) => eps[e].delete(principal, id, ifMatch),
      };
      return runBulk(request, target);
    },
  );

  // Across resource types: a filter is applied to each type it is valid for (an attribute only one of
  // them has matches nothing in the other); sortBy sorts within each type; Users come first.
  app.post('/.search', { schema: { tags, security, summary: 'Search Users and Groups (a SearchRequest body)' } }, async (req) => {
    const principal = req.principal!;
    const types = [eps.Users, eps.Groups];
    const queries = types.map((ep) => parseListQuery(req.body, ep.rt));
    const first = queries[0]!;
    // Totals first (count 0 reads no page), then the page across the concatenation.
    const totals: number[] = [];
    let firstError: ScimError | undefined;
    for (const [i, ep] of types.entries()) {
      try {
        totals.push((await ep.search(principal, { ...queries[i]!, startIndex: 1, count: 0 }, false)).totalResults);
      } catch (err) {
        if (!(err instanceof ScimError) || err.scimType !== 'invalidFilter') throw err;
        firstError ??= err;
        totals.push(-1);
      }
    }
    if (totals.every((t) => t < 0)) throw firstError ?? invalidValue('invalid filter');
    const resources: JsonObject[] = [];
    let skip = first.startIndex - 1;
    let room = first.count;
    for (const [i, ep] of types.entries()) {
      const total = totals[i]!;
      if (total <= 0) continue;
      if (skip >= total) {
        skip -= total;
        continue;
      }
      if (room > 0) {
        const q = { ...queries[i]!, startIndex: skip + 1, count: room };
        const page = await ep.search(principal, q, attributeRequested(ep.rt, q, 'members') && ep.rt.id === 'Group');
        resources.push(...page.resources.map((r) => projectResource(r, ep.rt, q)));
        room -= page.resources.length;
      }
      skip = 0;
    }
    return listResponse(resources, { totalResults: totals.filter((t) => t > 0).reduce((a, b) => a + b, 0), startIndex: first.startIndex });
  });
};
