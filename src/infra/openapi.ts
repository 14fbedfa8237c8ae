/**
 * The OpenAPI 3 document, generated from the same TypeBox schemas that validate requests and
 * serialize responses, so it cannot drift from what the server does. Served at GET /openapi.json.
 * Registered before the APIs: @fastify/swagger collects routes as they are added.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { expandStatuses, registerApiDocumentRoutes } from './openapi-docs.js';

export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    // Each status an operation answers, written out (openapi-docs.ts).
    transform: expandStatuses as never,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'roster',
        description:
          "Self-hosted user provisioning: Jelou's widget users, Plazbot/Wabotify platform users, Chatwoot's Platform API and SCIM 2.0 over one identity store.",
        version: '0.1.0',
      },
      servers: [{ url: publicUrl }],
      tags: [
        { name: 'Widget', description: "Jelou's widget users (get-or-create an end customer and their rooms)" },
        { name: 'Users', description: 'Plazbot / Wabotify platform users' },
        { name: 'Platform', description: "Chatwoot's Platform API" },
        { name: 'SCIM', description: "SCIM 2.0 (RFC 7643, RFC 7644): a company's users and groups, for identity providers" },
      ],
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'Basic base64(clientId:clientSecret), or the raw clientId:clientSecret' },
          bearerAuth: { type: 'http', scheme: 'bearer', description: "An API token from `roster token create` (`rtk_...`): one company's integration" },
          sessionToken: {
            type: 'http',
            scheme: 'bearer',
            description: "A user's session token from `POST /api/user/login` (`rss_...`); an API token is refused",
          },
          platformAppApiKey: { type: 'apiKey', in: 'header', name: 'api_access_token', description: 'A token from `roster platform-app create`' },
          scimBearer: { type: 'http', scheme: 'bearer', description: 'A token from `roster scim-token create`' },
        },
      },
    },
  });
}

export async function registerOpenApiRoute(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerApiDocumentRoutes(app);
}
