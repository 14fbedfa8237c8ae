/** /agent_bots: list this app's, create, show, update, delete. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, target, targetOf, type ChatwootDeps } from './context.js';
import { presentAgentBot } from '../present.js';
import { AgentBot, AgentBotParams, EmptyBody } from '../schemas.js';
import { principalOf } from '../../shared/principal.js';

export const agentBotRoutes: FastifyPluginAsync<ChatwootDeps> = async (fastify, { permissions, agentBots }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Platform'];
  const security = [{ platformAppApiKey: [] }];
  const byId = { preValidation: target(permissions, 'AgentBot', 'id') };

  app.get(
    '/agent_bots',
    { schema: { tags, security, summary: "List the platform app's agent bots", response: { 200: Type.Array(AgentBot), ...errorResponses } } },
    async (req) => (await agentBots.list(principalOf(req))).map(presentAgentBot),
  );

  app.post(
    '/agent_bots',
    {
      schema: {
        tags,
        security,
        summary: 'Create an agent bot',
        description: "The answer carries the bot's access token, as every agent bot body does.",
        body: AgentBotParams,
        response: { 200: AgentBot, ...errorResponses },
      },
    },
    async (req) => presentAgentBot(await agentBots.create(principalOf(req), req.body)),
  );

  app.get(
    '/agent_bots/:id',
    { ...byId, schema: { tags, security, summary: 'Get an agent bot', response: { 200: AgentBot, ...errorResponses } } },
    async (req) => presentAgentBot(await agentBots.get(targetOf(req, 'AgentBot'))),
  );

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/agent_bots/:id',
      ...byId,
      schema: { tags, security, summary: 'Update an agent bot', body: AgentBotParams, response: { 200: AgentBot, ...errorResponses } },
      handler: async (req) => presentAgentBot(await agentBots.update(principalOf(req), targetOf(req, 'AgentBot'), req.body)),
    });
  }

  app.delete(
    '/agent_bots/:id/avatar',
    {
      ...byId,
      schema: {
        tags,
        security,
        summary: "Remove an agent bot's avatar",
        description: 'Removes the uploaded avatar (and the avatar_url given), then answers the bot, as Chatwoot does after purging it.',
        response: { 200: AgentBot, ...errorResponses },
      },
    },
    async (req) => presentAgentBot(await agentBots.removeAvatar(principalOf(req).acting, targetOf(req, 'AgentBot'))),
  );

  app.delete(
    '/agent_bots/:id',
    { ...byId, schema: { tags, security, summary: 'Delete an agent bot', response: { 200: EmptyBody, ...errorResponses } } },
    async (req, reply) => {
      await agentBots.delete(principalOf(req).acting, targetOf(req, 'AgentBot'));
      return reply.code(200).send(undefined);
    },
  );
};
