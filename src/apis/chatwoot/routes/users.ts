/** /users: create (or link by email), show, update, delete, a login link, a new access token. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, target, targetOf, type ChatwootDeps } from './context.js';
import { presentUser, presentUserToken } from '../present.js';
import { LoginUrl, User, UserParams, UserToken, EmptyBody } from '../schemas.js';
import { principalOf } from '../../shared/principal.js';

export const userRoutes: FastifyPluginAsync<ChatwootDeps> = async (fastify, { permissions, users }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Platform'];
  const security = [{ platformAppApiKey: [] }];
  const byId = { preValidation: target(permissions, 'User', 'id') };

  app.post(
    '/users',
    {
      schema: {
        tags,
        security,
        summary: 'Create a user, or link the existing user with this email',
        description:
          "A new user (a password is required) is confirmed and gets an access and a pubsub token, shown in every user body. An existing user of the platform app's company is returned unchanged and linked to the app; another company's user is a taken email.",
        body: UserParams,
        response: { 200: User, ...errorResponses },
      },
    },
    async (req) => presentUser((await users.createOrLink(principalOf(req), req.body)).user),
  );

  app.get('/users/:id', { ...byId, schema: { tags, security, summary: 'Get a user', response: { 200: User, ...errorResponses } } }, async (req) =>
    presentUser(await users.get(targetOf(req, 'User'))),
  );

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/users/:id',
      ...byId,
      schema: {
        tags,
        security,
        summary: 'Update a user',
        description: 'custom_attributes are merged into the stored ones.',
        body: UserParams,
        response: { 200: User, ...errorResponses },
      },
      handler: async (req) => presentUser(await users.update(principalOf(req), targetOf(req, 'User'), req.body)),
    });
  }

  app.delete(
    '/users/:id',
    { ...byId, schema: { tags, security, summary: 'Delete a user, their memberships and tokens', response: { 200: EmptyBody, ...errorResponses } } },
    async (req, reply) => {
      await users.delete(principalOf(req).acting, targetOf(req, 'User'));
      return reply.code(200).send(undefined);
    },
  );

  app.get(
    '/users/:id/login',
    {
      ...byId,
      // A HEAD would mint a token nobody sees.
      exposeHeadRoute: false,
      schema: {
        tags,
        security,
        summary: 'Get a single-use login link',
        description: 'The link logs the user in to the frontend once, within five minutes.',
        response: { 200: LoginUrl, ...errorResponses },
      },
    },
    async (req) => ({ url: await users.issueLoginUrl(targetOf(req, 'User')) }),
  );

  app.post(
    '/users/:id/token',
    {
      ...byId,
      schema: {
        tags,
        security,
        summary: "Get the user's access token",
        description:
          'The access and pubsub tokens the user has (the same on every call); a user without a readable one (created by another API, or before migration 011) gets one minted now.',
        response: { 200: UserToken, ...errorResponses },
      },
    },
    async (req) => presentUserToken(await users.issueToken(targetOf(req, 'User'))),
  );
};
