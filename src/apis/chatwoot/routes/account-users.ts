/** /accounts/:account_id/account_users: list, find-or-create with a role, delete. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, target, targetOf, type ChatwootDeps } from './context.js';
import { presentAccountUser } from '../present.js';
import { AccountUser, AccountUserDeleteParams, AccountUserParams, EmptyBody } from '../schemas.js';
import { principalOf } from '../../shared/principal.js';

export const accountUserRoutes: FastifyPluginAsync<ChatwootDeps> = async (fastify, { permissions, accountUsers }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Platform'];
  const security = [{ platformAppApiKey: [] }];
  const url = '/accounts/:account_id/account_users';
  const account = { preValidation: target(permissions, 'Account', 'account_id') };

  app.get(
    url,
    { ...account, schema: { tags, security, summary: "List an account's users", response: { 200: Type.Array(AccountUser), ...errorResponses } } },
    async (req) => (await accountUsers.list(targetOf(req, 'Account'))).map(presentAccountUser),
  );

  app.post(
    url,
    {
      ...account,
      schema: {
        tags,
        security,
        summary: 'Add a user to an account, or change their role',
        description: 'Finds or creates the membership, then sets the role (a repeat answers 200; concurrent calls leave one row).',
        body: AccountUserParams,
        response: { 200: AccountUser, ...errorResponses },
      },
    },
    async (req) => presentAccountUser(await accountUsers.add(principalOf(req), targetOf(req, 'Account'), req.body)),
  );

  app.delete(
    url,
    {
      ...account,
      schema: {
        tags,
        security,
        summary: 'Remove a user from an account',
        description: '`user_id` in the body or the query string; answers 200 whether or not there was such a membership.',
        body: AccountUserDeleteParams,
        response: { 200: EmptyBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      await accountUsers.remove(principalOf(req), targetOf(req, 'Account'), req.body?.user_id ?? query.user_id);
      return reply.code(200).send(undefined);
    },
  );
};
