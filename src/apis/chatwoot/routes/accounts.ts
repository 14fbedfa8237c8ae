/** /accounts: list this app's, create, show, update, delete. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, target, targetOf, type ChatwootDeps } from './context.js';
import { presentAccount } from '../present.js';
import { Account, AccountParams, EmptyBody } from '../schemas.js';
import { principalOf } from '../../shared/principal.js';

export const accountRoutes: FastifyPluginAsync<ChatwootDeps> = async (fastify, { permissions, accounts }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Platform'];
  const security = [{ platformAppApiKey: [] }];
  const byId = { preValidation: target(permissions, 'Account', 'id') };

  app.get(
    '/accounts',
    { schema: { tags, security, summary: "List the platform app's accounts", response: { 200: Type.Array(Account), ...errorResponses } } },
    async (req) => (await accounts.list(principalOf(req))).map(presentAccount),
  );

  app.post(
    '/accounts',
    { schema: { tags, security, summary: 'Create an account', body: AccountParams, response: { 200: Account, ...errorResponses } } },
    async (req) => presentAccount(await accounts.create(principalOf(req), req.body)),
  );

  app.get('/accounts/:id', { ...byId, schema: { tags, security, summary: 'Get an account', response: { 200: Account, ...errorResponses } } }, async (req) =>
    presentAccount(await accounts.get(targetOf(req, 'Account'))),
  );

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/accounts/:id',
      ...byId,
      schema: { tags, security, summary: 'Update an account', body: AccountParams, response: { 200: Account, ...errorResponses } },
      handler: async (req) => presentAccount(await accounts.update(principalOf(req).acting, targetOf(req, 'Account'), req.body)),
    });
  }

  app.delete(
    '/accounts/:id',
    { ...byId, schema: { tags, security, summary: 'Delete an account, its memberships and agent bots', response: { 200: EmptyBody, ...errorResponses } } },
    async (req, reply) => {
      await accounts.delete(principalOf(req).acting, targetOf(req, 'Account'));
      return reply.code(200).send(undefined);
    },
  );
};
