/**
 * Chatwoot's Platform API under /platform/api/v1: accounts, users, account users and agent bots,
 * called with a platform app's token in the `api_access_token` header.
 */
import type { FastifyPluginAsync } from 'fastify';
import { unauthorized } from '../../identity/errors.js';
import { parseApiAccessToken, originOf, tokenIdOf } from '../shared/auth.js';
import { useErrorFormat } from '../shared/error-format.js';
import { useJsonBodies } from '../shared/json-body.js';
import { checkFreeFormBody } from './free-form.js';
import { mergeRailsParams, useRailsBodies } from './rails-params.js';
import { accountRoutes } from './routes/accounts.js';
import { accountUserRoutes } from './routes/account-users.js';
import { agentBotRoutes } from './routes/agent-bots.js';
import { errorResponses, type ChatwootDeps } from './routes/context.js';
import { chatwootStatus, presentError } from './present.js';
import { userRoutes } from './routes/users.js';

export const chatwootRoutes: FastifyPluginAsync<ChatwootDeps> = async (app, deps) => {
  useErrorFormat(app, presentError, chatwootStatus);
  app.decorateRequest('chatwootTarget', null);

  // Rails reads an empty body sent as application/json (curl -H 'Content-Type: application/json'
  // on a DELETE) as no params; Fastify's parser would call it malformed. Otherwise roster's parser.
  useJsonBodies(app, { emptyIsNone: true });
  // And form and multipart bodies, as Rails reads them (this API only).
  useRailsBodies(app, { fileMaxBytes: deps.avatars.maxBytes });

  // Every API response is private, and some carry tokens.
  app.addHook('onSend', async (_req, reply, payload) => {
    // Avatars (public images at URLs that never change) set their own.
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  // Uploaded avatars, with no credential (as Chatwoot's image URLs): the key is random and new on
  // every upload, so an image at one URL never changes.
  app.get(
    '/avatars/:key',
    {
      schema: {
        tags: ['Platform'],
        summary: 'An uploaded avatar image',
        description: 'PNG, JPEG, GIF or WebP, as checked at upload; the URL a user or agent bot body shows as avatar_url.',
        params: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        response: {
          200: {
            description: 'The image, with its checked Content-Type',
            content: { 'image/png': { schema: {} }, 'image/jpeg': { schema: {} }, 'image/gif': { schema: {} }, 'image/webp': { schema: {} } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const image = await deps.avatars.image((req.params as { key: string }).key);
      return reply
        .header('content-type', image.contentType)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'")
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('last-modified', new Date(image.createdAt).toUTCString())
        .send(image.data);
    },
  );

  // Only the dependencies: the plugin options also hold `prefix`, which must not reach the children.
  const { auth, permissions, accounts, accountUsers, agentBots, users, guard, avatars } = deps;
  const children: ChatwootDeps = { auth, permissions, accounts, accountUsers, agentBots, users, guard, avatars };
  await app.register(async (api) => {
    api.addHook('onRequest', async (req) => {
      const token = parseApiAccessToken(req.headers);
      if (!token) throw unauthorized();
      req.principal = await guard.check(req.ip, { kind: 'platform_app', id: tokenIdOf(token) }, () => auth.token('platform_app', token, originOf(req)));
    });
    // Rails params: the body (JSON, form or multipart; none is no params) over the query string's,
    // nested keys read; the values' rules then name what is missing.
    api.addHook('preValidation', mergeRailsParams);
    // Custom attributes and limits are stored as sent: bounded in depth and size (422).
    api.addHook('preHandler', checkFreeFormBody);
    await api.register(accountRoutes, children);
    await api.register(accountUserRoutes, children);
    await api.register(userRoutes, children);
    await api.register(agentBotRoutes, children);
  });
};
